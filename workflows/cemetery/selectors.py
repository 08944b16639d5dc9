"""Reads of cemetery approval: the consulted departments' answers in a case's data."""
from engine.models import Role


def department_results(data: dict) -> list[dict]:
    """The departments' answers, in the order of the consulted list."""
    results = {r.get("department"): r for r in data.get("department_results") or []}
    return [results[name] for name in data.get("departments") or [] if name in results]


def dissenting_departments(data: dict) -> list[dict]:
    """The answers of departments that did not agree."""
    return [r for r in department_results(data) if not r.get("agree")]


def department_label(name: str) -> str:
    """A consulted department's full name (the role's name), e.g. 林业 → 林业局."""
    role = Role.objects.filter(code=f"department:{name}").first()
    return role.name if role else name


def dissent_reason(data: dict) -> str:
    """The objections as one sentence, prefilled as the refusal reason."""
    dissent = dissenting_departments(data)
    if not dissent:
        return ""
    return "；".join(f"{department_label(r['department'])}不同意：{r.get('opinion', '')}"
                    for r in dissent)
