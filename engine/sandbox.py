"""A script environment for BPMN conditions, scripts, timer expressions and DMN entries.

SpiffWorkflow's default environment is plain ``eval``/``exec`` with full builtins, so a
gateway condition such as ``__import__('os').system(...)`` would run on the server. Diagrams
are edited by supervisors in the browser, so every expression is compiled through
RestrictedPython (which rejects underscore names, ``import`` and attribute access to
private names at compile time) and run with a small whitelist of builtins.

Expressions are also bounded, so that no condition, script, table entry or task property can
hold a web request or a worker: every ``*``, ``**``, ``+``, ``<<`` and string ``%`` goes
through a guard that refuses a result larger than ``MAX_SEQUENCE`` items or ``MAX_INT_BITS``
bits *before* computing it; ``range``, ``sum`` and the padding string methods are guarded the
same way; every loop and comprehension draws on an iteration budget and a wall-clock limit
per evaluation. A violation raises ``ExpressionLimitExceeded``.
"""
import ast
import operator
import re
import time
from functools import lru_cache

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment


class UnsafeExpression(ValueError):
    """An expression or script uses something the sandbox forbids."""


class ExpressionLimitExceeded(UnsafeExpression):
    """An expression would take too much memory or time; refused before it could."""


MAX_SEQUENCE = 100_000  # items of a string, list or tuple an expression may build
MAX_INT_BITS = 4096  # about 1,200 decimal digits
MAX_ITERATIONS = 1_000_000  # loop and comprehension steps per evaluation
TIME_LIMIT_SECONDS = 0.5  # wall clock per evaluation
_SIZED = (str, bytes, list, tuple)
_STR_WIDTH_METHODS = frozenset({"zfill", "ljust", "rjust", "center", "expandtabs"})
_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d{6,})|%[-+ #0]*\d*\.(\*|\d{6,})")


class _Budget:
    """Limits of one evaluation: an iteration count and a deadline."""

    def __init__(self):
        self.steps = 0
        self.deadline = time.monotonic() + TIME_LIMIT_SECONDS

    def tick(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_ITERATIONS:
            raise ExpressionLimitExceeded(f"循环次数超过 {MAX_ITERATIONS} 次")
        if self.steps % 1024 < steps and time.monotonic() > self.deadline:
            raise ExpressionLimitExceeded(f"运行时间超过 {TIME_LIMIT_SECONDS} 秒")

    def iterate(self, iterable):
        for item in iter(iterable):
            self.tick()
            yield item


def _int_bits(value) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _too_big(what: str):
    return ExpressionLimitExceeded(f"{what}过大，已拒绝计算")


def guarded_binop(op: str, left, right):
    """``left op right`` after checking the result cannot be huge."""
    if op == "Pow":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and \
                abs(left) > 1 and _int_bits(left) * right > MAX_INT_BITS:
            raise _too_big("乘方结果")
        return operator.pow(left, right)
    if op == "Mult":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, _SIZED) and isinstance(times, int) and \
                    len(sequence) * max(times, 0) > MAX_SEQUENCE:
                raise _too_big("重复结果")
        if isinstance(left, int) and isinstance(right, int) and \
                _int_bits(left) + _int_bits(right) > MAX_INT_BITS:
            raise _too_big("乘积")
        return operator.mul(left, right)
    if op == "LShift":
        if isinstance(left, int) and isinstance(right, int) and \
                _int_bits(left) + max(right, 0) > MAX_INT_BITS:
            raise _too_big("移位结果")
        return operator.lshift(left, right)
    if op == "Add":
        if isinstance(left, _SIZED) and isinstance(right, _SIZED) and \
                len(left) + len(right) > MAX_SEQUENCE:
            raise _too_big("拼接结果")
        return operator.add(left, right)
    if op == "Mod":
        if isinstance(left, str) and _PERCENT_WIDTH.search(left):
            raise _too_big("格式宽度")
        return operator.mod(left, right)
    raise UnsafeExpression(f"不支持的运算 {op}")


_GUARDED_OPS = {ast.Pow: "Pow", ast.Mult: "Mult", ast.LShift: "LShift", ast.Add: "Add",
                ast.Mod: "Mod"}


class _BoundedPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: operators that can build huge values become calls to
    ``_binop_`` (checked before computing), and f-string format specs are kept small."""

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        op = _GUARDED_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()),
                        args=[ast.Constant(op), node.left, node.right], keywords=[])
        for new in (call, call.func, call.args[0]):
            ast.copy_location(new, node)
        return call

    def visit_FormattedValue(self, node):
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if any(not isinstance(part, ast.Constant) for part in parts) or \
                    re.search(r"\d{6,}", "".join(str(part.value) for part in parts)):
                self.error(node, "f-string 的格式说明只能是固定的短文字（如 :.2f）")
        return self.node_contents_visit(node)


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
_INPLACE_GUARDED = {"+=": "Add", "*=": "Mult", "**=": "Pow", "%=": "Mod", "<<=": "LShift"}


def _inplacevar(op, x, y):
    if op in _INPLACE_GUARDED:
        return guarded_binop(_INPLACE_GUARDED[op], x, y)
    if op not in _INPLACE:
        raise UnsafeExpression(f"不支持的运算符 {op}")
    return _INPLACE[op](x, y)


def _guarded_range(*args):
    values = range(*args)
    if len(values) > MAX_SEQUENCE:
        raise _too_big(f"range 范围（{len(values)} 个数）")
    return values


def _guarded_sum(iterable, /, start=0):
    if not isinstance(start, (int, float)):
        raise ExpressionLimitExceeded("sum 只能对数字求和（拼接列表可能耗尽内存）")
    return sum(iterable, start)


def _width_checked(method):
    def call(*args, **kwargs):
        widths = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
        if any(width > MAX_SEQUENCE for width in widths):
            raise _too_big("字符串宽度")
        return method(*args, **kwargs)

    return call


def _guarded_replace(text: str):
    def replace(old, new, count=-1, /):
        if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
            worst = len(text) + (len(text) // max(len(old), 1) + 1) * (len(new) - len(old))
            if worst > MAX_SEQUENCE:
                raise _too_big("替换结果")
        return text.replace(old, new, count)

    return replace


def _guarded_getattr(obj, name, default=None, getattr=getattr):  # noqa: A002
    if name.startswith("_"):
        raise UnsafeExpression(f"不允许访问私有属性 {name}")
    try:
        value = safer_getattr(obj, name, default, getattr)
    except NotImplementedError as exc:  # str.format can reach attributes of its arguments
        raise UnsafeExpression(str(exc)) from exc
    if isinstance(obj, (str, bytes)):
        if name in _STR_WIDTH_METHODS:
            return _width_checked(value)
        if name == "replace" and isinstance(obj, str):
            return _guarded_replace(obj)
    return value


def _restricted_globals(budget: "_Budget | None" = None) -> dict:
    budget = budget or _Budget()
    builtins = dict(_SAFE_BUILTINS)
    builtins.update(range=_guarded_range, sum=_guarded_sum)
    return {
        "__builtins__": builtins,
        "_getattr_": _guarded_getattr,
        "_getitem_": operator.getitem,
        "_getiter_": budget.iterate,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "_binop_": guarded_binop,
    }


_RESTRICTED_NAMES = frozenset(_restricted_globals())


@lru_cache(maxsize=2048)
def compile_expression(expression: str):
    """Compile a condition/expression, or raise ``UnsafeExpression`` saying why."""
    result = compile_restricted_eval(expression, policy=_BoundedPolicy)
    if result.errors:
        raise UnsafeExpression("；".join(result.errors))
    return result.code


@lru_cache(maxsize=512)
def compile_script(script: str):
    """Compile a script task's body, or raise ``UnsafeExpression`` saying why."""
    result = compile_restricted_exec(script, policy=_BoundedPolicy)
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
