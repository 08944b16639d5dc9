"""Persons named in applications and the duplicate check over them (重复申请核查).

When a case starts, every person its application names — the applicant and each household
member — is written as a ``CasePerson`` row (``case_persons_record``). The engine names no
procedure: the procedure's glue says which form fields hold persons and hands the list to
``engine.services.case_start(persons=...)``.

``earlier_cases_for`` then answers, with one indexed query, "which other cases of this
procedure name any of these ID numbers": a spouse's application, a second application of
the same household, or the same person applying twice. What a match means is the
procedure's business (a warning for temporary relief, a refusal for a programme one
household gets once); the engine only finds the cases, open and decided, leaving out voided
ones and whatever the procedure's ``keep`` says is no longer standing (e.g. withdrawn).
"""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from .models import Case, CasePerson, CaseStatus, PersonRole, Unit

# Statuses of cases a duplicate check looks at: open ones and decided ones. A voided case
# never counted; an erroneous one is being repaired and still counts (it is open).
STANDING_STATUSES = (CaseStatus.RUNNING, CaseStatus.SUSPENDED, CaseStatus.COMPLETED,
                     CaseStatus.ERROR)


def _normalise(id_number) -> str:
    return str(id_number or "").strip().upper()


def case_persons_record(*, case: Case, persons: Iterable[dict]) -> list[CasePerson]:
    """Write the persons an application names (dicts with ``id_number`` and optionally
    ``name``, ``role`` — "applicant" / "member" —, ``relation``). The applicant's own ID
    (``case.applicant_id_number``) is always recorded; an ID named twice is kept once (as
    the applicant if it is the applicant's). Called inside ``case_start``'s transaction."""
    rows: dict[str, CasePerson] = {}
    applicant_id = _normalise(case.applicant_id_number)
    if applicant_id:
        rows[applicant_id] = CasePerson(case=case, procedure=case.procedure,
                                        role=PersonRole.APPLICANT, id_number=applicant_id,
                                        name=case.applicant_name[:50])
    for person in persons:
        id_number = _normalise(person.get("id_number"))
        if not id_number or id_number in rows:
            continue
        role = person.get("role") or PersonRole.MEMBER
        if role not in PersonRole.values:
            raise ValueError(f"未知的人员身份：{role}")
        rows[id_number] = CasePerson(
            case=case, procedure=case.procedure, role=role, id_number=id_number[:18],
            name=str(person.get("name") or "")[:50],
            relation=str(person.get("relation") or "")[:20])
    return CasePerson.objects.bulk_create(rows.values())


def case_person_ids(case: Case) -> list[str]:
    return list(case.persons.values_list("id_number", flat=True))


@dataclass
class EarlierCase:
    """Another case naming one of the persons: which of its persons matched."""

    case: Case
    matched: list[dict] = field(default_factory=list)  # {"id_number", "name", "role"}

    @property
    def matched_names(self) -> str:
        return "、".join(dict.fromkeys(
            f"{m['name'] or '（未填姓名）'}（{PersonRole(m['role']).label}）"
            for m in self.matched))


def earlier_cases_for(*, procedure: str, id_numbers: Iterable[str],
                      since: datetime | None = None, exclude_case: Case | int | None = None,
                      filed_before: Case | None = None, within: Unit | None = None,
                      keep: Callable[[Case], bool] | None = None) -> list[EarlierCase]:
    """Cases of ``procedure`` naming any of ``id_numbers`` (as applicant or member), filed
    at or after ``since`` (None: ever), open or decided — not voided —, oldest first.
    ``exclude_case``: the case being checked. ``filed_before``: only cases filed before that
    one (a rule that blocks the later of two applications must not block both).
    ``within``: only cases of villages under that unit (the county: another county's cases
    are not this county's to see).
    ``keep``: the procedure's test of whether a case still stands (e.g. not withdrawn)."""
    ids = {_normalise(n) for n in id_numbers if _normalise(n)}
    if not ids:
        return []
    rows = (CasePerson.objects.filter(procedure=procedure, id_number__in=ids,
                                      case__status__in=STANDING_STATUSES)
            .select_related("case").order_by("case__created_at", "case_id", "pk"))
    if since is not None:
        rows = rows.filter(case__created_at__gte=since)
    if within is not None:
        rows = rows.filter(case__village_path__startswith=within.path)
    if filed_before is not None:
        rows = rows.filter(Q(case__created_at__lt=filed_before.created_at) |
                           Q(case__created_at=filed_before.created_at,
                             case_id__lt=filed_before.pk))
    if exclude_case is not None:
        rows = rows.exclude(case_id=getattr(exclude_case, "pk", exclude_case))
    found: dict[int, EarlierCase] = {}
    for row in rows:
        entry = found.setdefault(row.case_id, EarlierCase(case=row.case))
        entry.matched.append({"id_number": row.id_number, "name": row.name, "role": row.role})
    return [entry for entry in found.values() if keep is None or keep(entry.case)]
