"""Template helpers for the portal's pages."""
from django import template

from engine.selectors import is_staff_member

from ..selectors import (
    procedure_pages_for,
    user_identity,
    user_may_file,
    user_supervises_county,
)

register = template.Library()


@register.simple_tag
def identity(user) -> dict:
    """The header's name, role labels and which menu entries apply."""
    info = user_identity(user)
    staff = user.is_authenticated and is_staff_member(user)
    return {**info, "staff": staff, "may_file": user.is_authenticated and user_may_file(user),
            "supervises": staff and user_supervises_county(user),
            "procedure_pages": procedure_pages_for(user) if staff else []}


@register.filter
def is_overdue(task, now) -> bool:
    return bool(task.due_at and now and task.due_at < now)


@register.filter
def time_left(task, now) -> str:
    """"剩余2天3小时" before the due time, "超期5小时" after it, "" without one."""
    if not task.due_at:
        return ""
    delta = task.due_at - now
    overdue = delta.total_seconds() < 0
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    if days:
        text = f"{days}天{hours}小时" if hours else f"{days}天"
    elif hours:
        text = f"{hours}小时"
    else:
        text = f"{max(rest // 60, 1)}分钟"
    return f"超期{text}" if overdue else f"剩余{text}"


@register.filter
def count_label(count, cap=None) -> str:
    """A capped count (``portal.selectors.capped_count``): "1000+" above the cap."""
    from portal.selectors import COUNT_CAP, count_label as label

    return label(int(count or 0), int(cap) if cap else COUNT_CAP)
