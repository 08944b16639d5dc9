"""The case page's 公示 box: the case's notices, their objections and review outcomes, and
the staff form that enters an objection received on paper or in person."""
from django import template

from engine.models import CaseStatus, NoticeStatus
from engine.notices import notice_time_text, notices_for_case
from engine.selectors import is_staff_member, user_has_jurisdiction

register = template.Library()


@register.inclusion_tag("portal/public/_case_notices.html", takes_context=True)
def case_notices(context, user, case) -> dict:
    staff = (user.is_authenticated and is_staff_member(user)
             and user_has_jurisdiction(user, case))
    views = notices_for_case(case) if staff else []
    request = context.get("request")
    return {
        "csrf_token": context.get("csrf_token"),
        "case": case,
        "views": views,
        "next": request.get_full_path() if request else "",
        "may_enter": staff and case.status == CaseStatus.RUNNING and any(
            v.notice.status in (NoticeStatus.OPEN, NoticeStatus.SUSPENDED) for v in views),
    }


@register.filter
def notice_time(moment) -> str:
    """A notice's end as people say it: 2026年12月10日24时 rather than 12月11日 00:00."""
    return notice_time_text(moment) if moment else ""
