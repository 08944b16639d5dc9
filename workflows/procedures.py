"""The list of procedures the product ships. Adding a procedure adds one line here
(see CONTRIBUTING.md)."""
from .registry import register
from .temporary_relief.procedure import PROCEDURE as TEMPORARY_RELIEF

register(TEMPORARY_RELIEF)
# Further procedures register here, one import and one register() line each.
from .annual_inspection.procedure import PROCEDURE as ANNUAL_INSPECTION  # noqa: E402
from .annual_inspection.procedure import REVOCATION_PROCEDURE as ORG_REVOCATION  # noqa: E402

register(ANNUAL_INSPECTION)
register(ORG_REVOCATION)
from .cemetery.procedure import PROCEDURE as CEMETERY_APPROVAL  # noqa: E402

register(CEMETERY_APPROVAL)
from .bundles.procedure import AFTER_DEATH as AFTER_DEATH_BUNDLE  # noqa: E402
from .bundles.procedure import MARRIAGE_BIRTH as MARRIAGE_BIRTH_BUNDLE  # noqa: E402

register(AFTER_DEATH_BUNDLE)
register(MARRIAGE_BIRTH_BUNDLE)
from .elderly_home.procedure import PROCEDURE as ELDERLY_HOME_ADAPTATION  # noqa: E402

register(ELDERLY_HOME_ADAPTATION)
