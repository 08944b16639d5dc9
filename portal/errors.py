"""What a person sees when a diagram fails while running for them (a gateway no condition
satisfies, a task without a form, a script error): never the engine's text for an applicant.

The county's supervisors get the detail in their notification centre
(``engine.notifications.configuration_error_report``); applicants see only
``APPLICANT_MESSAGE``; staff see a Chinese sentence with the library's text in a collapsed
``<details>`` for whoever fixes the diagram.
"""
from django.utils.html import format_html
from django.utils.safestring import SafeString

from engine.notifications import configuration_error_report
from engine.selectors import is_staff_member, role_assignments

APPLICANT_MESSAGE = "系统配置错误，已通知管理员。您填写的内容已保留，请稍后再试。"
STAFF_MESSAGE = "流程配置错误，无法继续办理，已通知县级流程管理员。您填写的内容已保留。"


def county_of(user):
    """The county a staff member works in (whose supervisors fix its diagrams), else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    unit = next((a.unit for a in role_assignments(user)), None)
    return unit.county if unit is not None else None


def engine_failure(*, user, county, where: str, error: str) -> str | SafeString:
    """Report a diagram failure to the county's supervisors and return what ``user`` sees."""
    configuration_error_report(county=county, where=where, error=error)
    return failure_message(user=user, error=error)


def _staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and is_staff_member(user)


def failure_message(*, user, error: str) -> str | SafeString:
    if not _staff(user):
        return APPLICANT_MESSAGE
    return format_html('{}<details class="technical-detail"><summary>技术信息（供开发人员）'
                       '</summary><pre>{}</pre></details>', STAFF_MESSAGE, error)


def failure_detail(*, user, error: str) -> dict:
    """The API's body: the same sentence, the library text only for staff."""
    if not _staff(user):
        return {"detail": APPLICANT_MESSAGE}
    return {"detail": STAFF_MESSAGE, "technical_detail": error}
