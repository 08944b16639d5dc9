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
