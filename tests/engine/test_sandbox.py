"""Conditions, scripts and DMN entries run in a RestrictedPython sandbox."""
import pytest

from engine.sandbox import SandboxEnvironment, UnsafeExpression

ESCAPES = [
    "__import__('os').system('id')",
    "().__class__.__base__.__subclasses__()",
    "[c for c in ().__class__.__mro__]",
    "open('/etc/passwd').read()",
    "eval('1+1')",
    "exec('x=1')",
    "getattr((), '__class__')",
    "globals()",
    "compile('1', 'x', 'eval')",
    "type(1)",
    "vars()",
    "'{0.__class__}'.format(1)",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_escapes_are_refused(expression):
    env = SandboxEnvironment({})
    with pytest.raises((UnsafeExpression, NameError, AttributeError, TypeError)):
        env.evaluate(expression, {"amount": 1})


@pytest.mark.parametrize("script", [
    "import os\nx = os.getcwd()",
    "from subprocess import run",
    "x = amount.__class__",
    "with open('/tmp/owned', 'w') as f:\n    f.write('x')",
])
def test_unsafe_scripts_are_refused(script, tmp_path):
    env = SandboxEnvironment({})
    with pytest.raises((UnsafeExpression, NameError, AttributeError, ImportError)):
        env.execute(script, {"amount": 1})


def test_ordinary_conditions_and_scripts_work():
    env = SandboxEnvironment({})
    context = {"amount": 2500, "items": [1, 2, 3], "data": {"k": "v"}}
    assert env.evaluate('amount <= 3000 and data["k"] == "v"', context) is True
    assert env.evaluate("3000 < amount <= 20000", context) is False
    env.execute("total = sum(items)\ntotal += amount\nlabel = 'x'.upper()", context)
    assert context["total"] == 2506 and context["label"] == "X"


def _unsafe_bpmn(marker):
    from django.conf import settings

    return (settings.BPMN_DIR / "temporary_relief.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:conditionExpression>urgent == True</bpmn:conditionExpression>",
        f"<bpmn:conditionExpression>__import__('os').system('touch {marker}') == 0"
        "</bpmn:conditionExpression>", 1)


def test_unsafe_condition_is_refused_at_deploy(db, demo, tmp_path):
    from django.conf import settings

    from engine.models import ProcessDefinition
    from engine.services import DefinitionError, definition_deploy

    dmn = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
    with pytest.raises(DefinitionError, match="f_urgent"):
        definition_deploy(key="temporary_relief", name="临时救助",
                          bpmn_xml=_unsafe_bpmn(tmp_path / "owned"), dmn_xmls=[dmn])
    assert ProcessDefinition.objects.filter(key="temporary_relief").count() == 1


def test_unsafe_condition_stored_anyway_fails_the_run_without_executing(
        db, demo, applicant, village, tmp_path):
    """Defence in depth: even a definition that bypassed validation cannot escape."""
    from django.conf import settings

    from engine import runtime
    from engine.models import ProcessDefinition
    from engine.services import RuntimeFailure
    from tests.workflows.temporary_relief.helpers import file_application

    marker = tmp_path / "owned"
    bpmn = _unsafe_bpmn(marker)
    dmn = (settings.BPMN_DIR / "temporary_relief_limits.dmn").read_text(encoding="utf-8")
    spec, subs = runtime.parse(bpmn, [dmn], "temporary_relief")
    ProcessDefinition.objects.create(key="temporary_relief", name="临时救助", version=99,
                                     process_id="temporary_relief", bpmn_xml=bpmn,
                                     dmn_xml=[dmn], content_hash="x" * 64,
                                     spec_json=runtime.spec_to_json(spec, subs))
    with pytest.raises(RuntimeFailure):
        file_application(user=applicant, village=village)
    assert not marker.exists()
