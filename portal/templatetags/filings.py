"""Template helpers of the 报县备案 pages (portal/views_filings.py): the menu link and the
issuer section of 本县设置, so the shared views and templates need one line each."""
from django import template

register = template.Library()


@register.simple_tag
def may_see_filings(user) -> bool:
    from portal.views_filings import user_may_see_filings

    return user.is_authenticated and user_may_see_filings(user)


@register.inclusion_tag("portal/_county_issuer_settings.html", takes_context=True)
def county_issuer_settings(context, county) -> dict:
    from portal.views_filings import issuer_settings_context

    return {"csrf_token": context.get("csrf_token"), "county": county,
            **issuer_settings_context(county)}


@register.simple_tag
def may_revoke_document(user, document) -> bool:
    """County supervisors may revoke a valid document (engine.issuers.document_revoke)."""
    return bool(user.is_authenticated and document.validity == "valid"
                and user.has_perm("engine.supervise_unit", document.case.village.county))
