"""Resident ID numbers (居民身份证号码, GB 11643-1999): the check character and masking.

Used by the engine (documents never print a full ID number) and by procedures' forms."""
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_number_check_char(first17: str) -> str:
    """The check character for the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def is_id_number(value: str) -> bool:
    """18 characters with a real birth date and the right check character."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_number_check_char(value[:17]) == value[17].upper()


def mask_id_number(id_number: str) -> str:
    """330702199001011234 → 330***********1234 (art. 61 confidentiality)."""
    if len(id_number) < 8:
        return id_number
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]
