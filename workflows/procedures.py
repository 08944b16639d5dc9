"""The list of procedures the product ships. Adding a procedure adds one line here
(see CONTRIBUTING.md)."""
from .registry import register
from .temporary_relief.procedure import PROCEDURE as TEMPORARY_RELIEF

register(TEMPORARY_RELIEF)
# Further procedures register here, one import and one register() line each.
