"""The procedures the product ships. Adding a procedure adds a line to each list here
(see CONTRIBUTING.md)."""
from .annual_inspection.procedure import PROCEDURE as ANNUAL_INSPECTION
from .annual_inspection.procedure import REVOCATION_PROCEDURE as ORG_REVOCATION
from .bundles.procedure import AFTER_DEATH as AFTER_DEATH_BUNDLE
from .bundles.procedure import MARRIAGE_BIRTH as MARRIAGE_BIRTH_BUNDLE
from .cemetery.procedure import PROCEDURE as CEMETERY_APPROVAL
from .elderly_home.procedure import PROCEDURE as ELDERLY_HOME_ADAPTATION
from .registry import register
from .temporary_relief.procedure import PROCEDURE as TEMPORARY_RELIEF

PROCEDURES = (
    TEMPORARY_RELIEF,
    ELDERLY_HOME_ADAPTATION,
    ANNUAL_INSPECTION,
    ORG_REVOCATION,
    CEMETERY_APPROVAL,
    AFTER_DEATH_BUNDLE,
    MARRIAGE_BIRTH_BUNDLE,
)

for _procedure in PROCEDURES:
    register(_procedure)

# Demo data of each procedure (modules with ``seed() -> list[str]``), run by
# ``manage.py seed_demo`` after the organisation is seeded and every procedure deployed.
DEMO_SEEDS = (
    "workflows.temporary_relief.demo",
    "workflows.elderly_home.demo",
    "workflows.annual_inspection.demo",
    "workflows.cemetery.demo",
    "workflows.bundles.demo",
)
