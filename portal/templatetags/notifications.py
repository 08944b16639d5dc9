"""Template helpers for notifications, 催办 and 抄送: the header's unread count, the inbox's
"抄送我的" count, and the urge/CC box of the case page."""
from django import template

from engine.models import CaseStatus
from engine.notifications import (
    copy_recipients_allowed,
    copy_roles_available,
    copy_unread_count,
    notification_unread_count,
)
from engine.selectors import is_staff_member, user_has_jurisdiction, user_has_procedure_role

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    return notification_unread_count(user=user)


@register.simple_tag
def unread_copies(user) -> int:
    return copy_unread_count(user=user)


@register.inclusion_tag("portal/_case_actions.html", takes_context=True)
def case_actions(context, user, case) -> dict:
    """Urge and CC forms, for staff with jurisdiction over the case (not for copy-only
    readers or applicants)."""
    allowed = (user.is_authenticated and is_staff_member(user)
               and user_has_jurisdiction(user, case))
    # 抄送 shows the whole case: only the procedure's own staff (engine.notifications).
    may_copy = allowed and user_has_procedure_role(user, case)
    return {
        "csrf_token": context.get("csrf_token"),
        "case": case,
        "allowed": allowed,
        "may_urge": allowed and case.status == CaseStatus.RUNNING,
        "recipients": list(copy_recipients_allowed(user=user, case=case)
                           .prefetch_related("role_assignments__role",
                                             "role_assignments__unit")) if may_copy else [],
        "roles": list(copy_roles_available(case)) if may_copy else [],
    }


@register.filter
def staff_label(user) -> str:
    """"姓名（角色·单位）" for the CC recipient list."""
    labels = [f"{a.role.name}·{a.unit.name}" for a in user.role_assignments.all()]
    name = user.get_full_name() or user.username
    return f"{name}（{'、'.join(labels)}）" if labels else name
