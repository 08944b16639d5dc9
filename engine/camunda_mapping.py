"""A county's mapping of Camunda groups (and lane names) to roles and of Camunda users to user
names, kept for the Camunda 7 import (``engine.camunda``), which takes it as plain dicts.

Reads and writes are here so that every path (the modeler pages, a later API) checks the same
rules: a group maps to an existing role, a user to an existing user name; names seen in an
import are recorded unmapped so the supervisor finds them on the mapping page.
"""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import AuditAction, AuditEntry, CamundaMapping, CamundaMappingKind, Role, Unit


def mapping_dicts(county: Unit) -> tuple[dict[str, str], dict[str, str]]:
    """(group → role code, user → user name) of the county, mapped rows only."""
    groups, users = {}, {}
    for kind, name, target in CamundaMapping.objects.filter(county=county).exclude(
            target="").values_list("kind", "name", "target"):
        (groups if kind == CamundaMappingKind.GROUP else users)[name] = target
    return groups, users


def mapping_rows(county: Unit) -> list[CamundaMapping]:
    return list(CamundaMapping.objects.filter(county=county))


def names_seen(*, county: Unit, groups: list[str], users: list[str]) -> None:
    """Record the names an import found, unmapped, unless the county has them already. A
    group named like a role code or a role's name is pre-mapped to that role."""
    roles = dict(Role.objects.values_list("code", "code"))
    roles |= {name: code for code, name in Role.objects.values_list("code", "name")}
    for kind, names in ((CamundaMappingKind.GROUP, groups), (CamundaMappingKind.USER, users)):
        for name in names:
            name = name.strip()[:200]
            if not name:
                continue
            target = roles.get(name, "") if kind == CamundaMappingKind.GROUP else ""
            CamundaMapping.objects.get_or_create(county=county, kind=kind, name=name,
                                                 defaults={"target": target})


def _check_target(kind: str, name: str, target: str) -> str:
    target = (target or "").strip()
    if not target:
        return ""
    if kind == CamundaMappingKind.GROUP:
        if not Role.objects.filter(code=target).exists():
            raise ValidationError(f"Camunda 组“{name}”对应的角色“{target}”不存在")
    elif not get_user_model().objects.filter(username=target, is_active=True).exists():
        raise ValidationError(f"Camunda 用户“{name}”对应的用户名“{target}”不存在")
    return target


@transaction.atomic
def mapping_save(*, county: Unit, rows: list[tuple[str, str, str]], user) -> int:
    """Set the county's mapping rows (kind, Camunda name, role code or user name; an empty
    target unmaps). All or nothing: one bad row refuses the whole save with its reason.
    Returns how many rows changed."""
    errors, checked = [], []
    for kind, name, target in rows:
        name = (name or "").strip()
        if kind not in CamundaMappingKind.values:
            errors.append(f"未知的对应类型“{kind}”")
            continue
        if not name or len(name) > 200:
            errors.append("Camunda 名称不能为空，且不超过 200 个字符")
            continue
        try:
            checked.append((kind, name, _check_target(kind, name, target)))
        except ValidationError as exc:
            errors += exc.messages
    if errors:
        raise ValidationError(errors)
    changed = 0
    for kind, name, target in checked:
        row, created = CamundaMapping.objects.select_for_update().get_or_create(
            county=county, kind=kind, name=name, defaults={"target": target, "updated_by": user})
        if created or row.target != target:
            row.target = target
            row.updated_by = user
            row.save()
            changed += 1
    if changed:
        AuditEntry.objects.create(actor=user, action=AuditAction.SETTINGS,
                                  summary=f"修改 Camunda 组与角色对应（{county.name}，"
                                          f"{changed} 项）",
                                  data={"county": county.pk,
                                        "rows": [list(r) for r in checked]})
    return changed
