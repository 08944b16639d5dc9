"""Set up a real county: roles, its unit tree, the shipped procedures and a first
administrator — no demo accounts, no demo data (``manage.py bootstrap_county``)."""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from guardian.shortcuts import assign_perm

from engine.models import Unit, UnitLevel
from engine.services import role_assign, unit_create

from .roles import roles_ensure
from .services import procedures_deploy_all


class BootstrapError(ValueError):
    """The county cannot be set up as asked; the message says why (Chinese)."""


@dataclass(frozen=True)
class Bootstrapped:
    county: Unit
    admin: object
    set_password_path: str  # one-time link: the administrator chooses their own password


def parse_units(text: str) -> list[tuple[str, list[str]]]:
    """Townships and their villages, one township per line: ``罗店镇：罗店村、后溪村``
    (full-width or ASCII colon; villages separated by 、，, or spaces)."""
    townships = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, sep, rest = line.replace("：", ":").partition(":")
        villages = [v for v in rest.replace("、", " ").replace("，", " ").replace(",", " ")
                    .split() if v]
        if not sep or not head.strip() or not villages:
            raise BootstrapError(f"第{number}行应为“乡镇：村1、村2”，至少一个村（社区）")
        townships.append((head.strip(), villages))
    return townships


@transaction.atomic
def county_bootstrap(*, county_name: str, doc_prefix: str, office_name: str,
                     admin_username: str, admin_full_name: str = "", admin_email: str = "",
                     townships: list[tuple[str, list[str]]] = ()) -> Bootstrapped:
    """Create the county (or reuse it), its townships and villages, every product role, the
    shipped procedure versions, and a first administrator holding the county leader role and
    the supervisor permission. The administrator has no usable password until they open the
    returned one-time link (valid for ``PASSWORD_RESET_TIMEOUT``). Safe to run again: existing
    units and roles are kept, an existing administrator gets a fresh link."""
    if not county_name.strip() or not doc_prefix.strip() or not office_name.strip():
        raise BootstrapError("县（区）名称、文书编号前缀和发文机关名称都必须填写")
    roles_ensure()
    county = Unit.objects.filter(level=UnitLevel.COUNTY, name=county_name).first() or \
        unit_create(name=county_name, level=UnitLevel.COUNTY, doc_prefix=doc_prefix,
                    office_name=office_name, settings={"holidays": [], "workdays": []})
    for township_name, villages in townships:
        township = Unit.objects.filter(parent=county, name=township_name).first() or \
            unit_create(name=township_name, level=UnitLevel.TOWNSHIP, parent=county)
        for village_name in villages:
            if not Unit.objects.filter(parent=township, name=village_name).exists():
                unit_create(name=village_name, level=UnitLevel.VILLAGE, parent=township)
    procedures_deploy_all()
    user_model = get_user_model()
    admin, created = user_model.objects.get_or_create(
        username=admin_username,
        defaults={"first_name": admin_full_name or admin_username, "email": admin_email,
                  "is_staff": True, "is_superuser": True})
    if created:
        admin.set_unusable_password()
        admin.save(update_fields=["password"])
    role_assign(user=admin, role="county_leader", unit=county)
    assign_perm("engine.supervise_unit", admin, county)
    uid = urlsafe_base64_encode(force_bytes(admin.pk))
    token = default_token_generator.make_token(admin)
    path = reverse("portal:password_set", kwargs={"uidb64": uid, "token": token})
    return Bootstrapped(county=county, admin=admin, set_password_path=path)
