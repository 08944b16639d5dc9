"""A script environment for BPMN conditions, scripts, timer expressions and DMN entries.

SpiffWorkflow's default environment is plain ``eval``/``exec`` with full builtins, so a
gateway condition such as ``__import__('os').system(...)`` would run on the server. Diagrams
are edited by supervisors in the browser, so every expression is compiled through
RestrictedPython (which rejects underscore names, ``import`` and attribute access to
private names at compile time) and run with a small whitelist of builtins.
"""
import operator
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment


class UnsafeExpression(ValueError):
    """An expression or script uses something the sandbox forbids."""


_SAFE_BUILTINS = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "int", "len",
        "list", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum",
        "tuple", "zip", "isinstance", "True", "False", "None", "ValueError", "KeyError",
    )
}

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
}


def _inplacevar(op, x, y):
    if op not in _INPLACE:
        raise UnsafeExpression(f"不支持的运算符 {op}")
    return _INPLACE[op](x, y)


def _guarded_getattr(obj, name, default=None, getattr=getattr):  # noqa: A002
    if name.startswith("_"):
        raise UnsafeExpression(f"不允许访问私有属性 {name}")
    try:
        return safer_getattr(obj, name, default, getattr)
    except NotImplementedError as exc:  # str.format can reach attributes of its arguments
        raise UnsafeExpression(str(exc)) from exc


def _restricted_globals() -> dict:
    return {
        "__builtins__": dict(_SAFE_BUILTINS),
        "_getattr_": _guarded_getattr,
        "_getitem_": operator.getitem,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
    }


_RESTRICTED_NAMES = frozenset(_restricted_globals())


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    """Compile a condition/expression, or raise ``UnsafeExpression`` saying why."""
    result = compile_restricted_eval(expression)
    if result.errors:
        raise UnsafeExpression("；".join(result.errors))
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    """Compile a script task's body, or raise ``UnsafeExpression`` saying why."""
    result = compile_restricted_exec(script)
    if result.errors:
        raise UnsafeExpression("；".join(result.errors))
    return result.code


class SandboxEnvironment(TaskDataEnvironment):
    """``TaskDataEnvironment`` with RestrictedPython in place of bare eval/exec."""

    def evaluate(self, expression, context, external_context=None):
        code = compile_expression(expression)
        scope = _restricted_globals()
        scope.update(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(code, scope)  # noqa: S307 - compiled by RestrictedPython above

    def execute(self, script, context, external_context=None):
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        code = compile_script(script)
        scope = _restricted_globals()
        scope.update(self.globals)
        scope.update(external_context)
        scope.update(context)
        exec(code, scope)  # noqa: S102 - compiled by RestrictedPython above
        hidden = _RESTRICTED_NAMES | set(self.globals) | set(external_context)
        for name in list(context):
            if name not in scope:
                del context[name]
        for name, value in scope.items():
            if name in hidden or name.startswith("_") or callable(value):
                continue
            context[name] = value
        return True
