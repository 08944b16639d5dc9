"""Translate the FEEL that dmn-js writes into the Python the engine evaluates.

dmn-js (the browser table editor) writes FEEL: ranges ``[1000..3000]``, lists ``"a","b"``,
``not(...)``, ``true``/``false``, ``-`` for "any". SpiffWorkflow evaluates DMN entries as
Python: an input entry is either a whole expression using ``?`` for the input value
(``1000 <= ? <= 3000``), a value compared with ``==``, or an operator suffix (``<= 3000``).
Left untranslated, FEEL either fails at run time (``[1000..3000]``) or, worse, silently means
something else (``"a","b"`` becomes a tuple compared with ``==`` and never matches;
``not("a")`` becomes ``False``).

So every input entry is parsed as FEEL *unary tests* and rewritten with ``?``; output entries
and input expressions are parsed as simple FEEL expressions and rewritten as Python. Anything
outside the supported subset is rejected with a Chinese message naming the rule, never
guessed. Entries already written in the engine's own ``?`` syntax (the hand-written tables in
``bpmn/``) pass through unchanged, so translating twice changes nothing.

Supported FEEL (the subset dmn-js produces for simple tables):
  unary tests  ``-`` or empty (any), ``< 3``, ``<= 3``, ``> 3``, ``>= 3``, ``= 3``, ``!= 3``,
               ``3``, ``"town"``, ``true``/``false``, ``null``, intervals ``[a..b]``,
               ``(a..b]``, ``]a..b[``, ``[a..b)``..., comma lists (any of), ``not(...)``
  expressions  numbers, ``"strings"``, ``true``/``false``/``null``, names and ``a.b`` paths,
               ``+ - * /``, comparisons (``=`` means equal), ``and``/``or``, parentheses,
               ``[1, 2]`` lists
Bare words are FEEL *names* (variables), not strings: ``township`` reads a variable called
township. A bare word in a column whose type is string is reported, because it is almost
always a forgotten pair of quotes.
"""
import re
from dataclasses import dataclass

from lxml import etree

from .validation import Problem, _xml_where

DMN_NAMESPACES = {
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # DMN 1.3 (dmn-js 10+)
    "https://www.omg.org/spec/DMN/20230324/MODEL/",  # DMN 1.5
    "https://www.omg.org/spec/DMN/20211108/MODEL/",  # DMN 1.4
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # DMN 1.2
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # DMN 1.1
}


class FeelError(ValueError):
    """A FEEL text the engine cannot run; the message says why, in Chinese."""


# ---------------------------------------------------------------------------------------------
# Tokens

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<range>\.\.)
  | (?P<op><=|>=|!=|==|<|>|=|\+|-|\*|/|\?)
  | (?P<punct>[()\[\],.])
  | (?P<name>[^\W\d]\w*)
""", re.VERBOSE)

_CURLY_QUOTES = "“”‘’「」"


@dataclass(frozen=True)
class Token:
    kind: str  # string, number, range, op, punct, name, end
    text: str


def tokenize(text: str) -> list[Token]:
    if any(quote in text for quote in _CURLY_QUOTES):
        raise FeelError("请使用英文双引号 \" 而不是中文引号")
    if "'" in text:
        raise FeelError("FEEL 中的文字要用英文双引号 \" 括起来，不能用单引号")
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise FeelError(f"无法识别的字符“{text[position]}”")
        position = match.end()
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup, match.group()))
    tokens.append(Token("end", ""))
    return tokens


_KEYWORDS = {"true": "True", "false": "False", "null": "None",
             # Python spellings, as in the hand-written tables of bpmn/
             "True": "True", "False": "False", "None": "None"}
_KEYWORD_VALUES = {"True": True, "False": False, "None": None}
_UNSUPPORTED_NAMES = {
    "date": "日期函数 date()", "time": "时间函数 time()", "duration": "时长函数 duration()",
    "date and time": "日期时间函数", "if": "if 表达式", "for": "for 表达式",
    "some": "some 表达式", "every": "every 表达式", "function": "函数定义",
    "instance": "“instance of”", "between": "between 表达式", "in": "in 表达式",
}


# ---------------------------------------------------------------------------------------------
# Values and unary tests (a tiny AST, also used to detect overlapping rules)


@dataclass(frozen=True)
class Value:
    """A literal (number, string, bool, None) or, when ``name`` is set, a variable path."""

    python: str
    literal: object = None
    is_literal: bool = True
    name: str = ""


@dataclass(frozen=True)
class Test:
    """One positive unary test. kind: compare (op + value), interval, raw (engine syntax)."""

    kind: str
    op: str = ""
    value: Value | None = None
    low: Value | None = None
    high: Value | None = None
    low_closed: bool = True
    high_closed: bool = True
    python: str = ""


@dataclass(frozen=True)
class UnaryTests:
    """``any`` (``-``/empty), or ``tests`` (matched if any matches), possibly negated."""

    any: bool = False
    negated: bool = False
    tests: tuple[Test, ...] = ()
    bare_names: tuple[str, ...] = ()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0
        self.bare_names: list[str] = []

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def take(self) -> Token:
        token = self.current
        self.position += 1
        return token

    def expect(self, kind: str, text: str | None = None) -> Token:
        token = self.current
        if token.kind != kind or (text is not None and token.text != text):
            shown = token.text or "结尾"
            raise FeelError(f"在“{shown}”处应为“{text or kind}”")
        return self.take()

    def at(self, kind: str, *texts: str) -> bool:
        return self.current.kind == kind and (not texts or self.current.text in texts)

    # -- values ------------------------------------------------------------------------------

    def value(self) -> Value:
        token = self.current
        if token.kind == "op" and token.text == "-":
            self.take()
            number = self.expect("number")
            return Value(f"-{number.text}", -_number(number.text))
        if token.kind == "number":
            self.take()
            return Value(token.text, _number(token.text))
        if token.kind == "string":
            self.take()
            literal = _unescape(token.text)
            return Value(_python_string(literal), literal)
        if token.kind == "name":
            return self.name_value()
        raise FeelError(f"在“{token.text or '结尾'}”处应为数字、带引号的文字或变量名")

    def name_value(self) -> Value:
        token = self.take()
        if token.text in _KEYWORDS:
            return Value(_KEYWORDS[token.text], _KEYWORD_VALUES[_KEYWORDS[token.text]])
        if token.text in _UNSUPPORTED_NAMES:
            raise FeelError(f"不支持 FEEL 的{_UNSUPPORTED_NAMES[token.text]}")
        if token.text in ("not", "and", "or"):
            raise FeelError(f"“{token.text}”用法不正确")
        if token.text.startswith("_"):
            raise FeelError(f"变量名不能以下划线开头：{token.text}")
        path = [token.text]
        while self.at("punct", "."):
            self.take()
            path.append(self.expect("name").text)
        if self.at("punct", "("):
            raise FeelError(f"不支持调用函数 {'.'.join(path)}()")
        python = path[0] + "".join(f"[{_python_string(part)}]" for part in path[1:])
        self.bare_names.append(".".join(path))
        return Value(python, is_literal=False, name=".".join(path))

    # -- unary tests -------------------------------------------------------------------------

    def unary_tests(self) -> UnaryTests:
        if self.at("end") or (self.at("op", "-") and self.tokens[1].kind == "end"):
            return UnaryTests(any=True)
        negated = False
        if self.at("name", "not") and self.tokens[1].text == "(":
            self.take()
            self.expect("punct", "(")
            negated = True
        tests = [self.positive_test()]
        while self.at("punct", ","):
            self.take()
            tests.append(self.positive_test())
        if negated:
            self.expect("punct", ")")
        self.expect("end")
        return UnaryTests(negated=negated, tests=tuple(tests),
                          bare_names=tuple(self.bare_names))

    def positive_test(self) -> Test:
        if self.at("op", "<", "<=", ">", ">=", "=", "!=", "=="):
            op = self.take().text
            value = self.value()
            return Test("compare", op={"=": "==", "==": "=="}.get(op, op), value=value)
        if self.at("punct", "[", "(") or self.at("punct", "]"):
            opening = self.take().text
            low = self.value()
            self.expect("range")
            high = self.value()
            if not (self.at("punct", "]", ")") or self.at("punct", "[")):
                raise FeelError("区间缺少右括号 ] 或 )")
            closing = self.take().text
            _check_interval(low, high)
            return Test("interval", low=low, high=high, low_closed=opening == "[",
                        high_closed=closing == "]")
        return Test("compare", op="==", value=self.value())


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _unescape(token_text: str) -> str:
    return re.sub(r"\\(.)", r"\1", token_text[1:-1])


def _python_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check_interval(low: Value, high: Value) -> None:
    if low.is_literal and high.is_literal and isinstance(low.literal, int | float) and \
            isinstance(high.literal, int | float) and low.literal > high.literal:
        raise FeelError(f"区间下限 {low.python} 大于上限 {high.python}")


_ENGINE_QUESTION = re.compile(r"""\?(?=(?:[^'"]|['"][^'"]*['"])*$)""")


def parse_unary_tests(text: str | None) -> UnaryTests:
    """Parse an input entry (FEEL, or the engine's own ``?`` syntax) or raise FeelError."""
    text = (text or "").strip()
    if "?" in text and _ENGINE_QUESTION.search(text):
        parsed = _parse_engine_range(text)
        if parsed is not None:
            return parsed
        return UnaryTests(tests=(Test("raw", python=text),))
    return _Parser(text).unary_tests()


_ENGINE_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(<=|<)\s*\?\s*(<=|<)\s*(-?\d+(?:\.\d+)?)\s*$")
_ENGINE_COMPARE = re.compile(r"^\s*\?\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$")


def _parse_engine_range(text: str) -> UnaryTests | None:
    """``3000 < ? <= 20000`` and ``? <= 3000``: the engine syntax of hand-written tables,
    understood so that overlapping rules are found in them too."""
    match = _ENGINE_RANGE.match(text)
    if match:
        low, low_op, high_op, high = match.groups()
        return UnaryTests(tests=(Test("interval", low=Value(low, _number(low)),
                                      high=Value(high, _number(high)),
                                      low_closed=low_op == "<=", high_closed=high_op == "<="),))
    match = _ENGINE_COMPARE.match(text)
    if match:
        op, number = match.groups()
        return UnaryTests(tests=(Test("compare", op=op, value=Value(number, _number(number))),))
    return None


def _test_python(test: Test) -> str:
    if test.kind == "raw":
        return test.python
    if test.kind == "interval":
        low_op = "<=" if test.low_closed else "<"
        high_op = "<=" if test.high_closed else "<"
        return f"{test.low.python} {low_op} ? {high_op} {test.high.python}"
    if test.value.literal is None and test.value.is_literal and test.op in ("==", "!="):
        return f"? {'is' if test.op == '==' else 'is not'} None"
    return f"? {test.op} {test.value.python}"


def unary_tests_python(tests: UnaryTests) -> str:
    """The engine text for parsed unary tests: ``-`` or an expression over ``?``."""
    if tests.any:
        return "-"
    parts = [_test_python(test) for test in tests.tests]
    if len(parts) == 1 and not tests.negated:
        return parts[0]
    joined = " or ".join(f"({part})" for part in parts)
    return f"not ({joined})" if tests.negated else joined


def translate_input_entry(text: str | None) -> str:
    """FEEL unary tests → engine text, or raise FeelError."""
    return unary_tests_python(parse_unary_tests(text))


# ---------------------------------------------------------------------------------------------
# Expressions (output entries, input expressions)


class _ExpressionParser(_Parser):
    _COMPARE = {"=": "==", "==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

    def expression(self) -> str:
        result = self.disjunction()
        if self.at("punct", ","):
            raise FeelError("输出只能是一个值；多个值请用列表 [\"a\", \"b\"]")
        self.expect("end")
        return result

    def disjunction(self) -> str:
        parts = [self.conjunction()]
        while self.at("name", "or"):
            self.take()
            parts.append(self.conjunction())
        return " or ".join(parts)

    def conjunction(self) -> str:
        parts = [self.comparison()]
        while self.at("name", "and"):
            self.take()
            parts.append(self.comparison())
        return " and ".join(parts)

    def comparison(self) -> str:
        left = self.additive()
        if self.at("op", *self._COMPARE):
            op = self._COMPARE[self.take().text]
            return f"{left} {op} {self.additive()}"
        return left

    def additive(self) -> str:
        result = self.multiplicative()
        while self.at("op", "+", "-"):
            op = self.take().text
            result = f"{result} {op} {self.multiplicative()}"
        return result

    def multiplicative(self) -> str:
        result = self.unary()
        while self.at("op", "*", "/"):
            op = self.take().text
            result = f"{result} {op} {self.unary()}"
        return result

    def unary(self) -> str:
        if self.at("op", "-"):
            self.take()
            return f"-{self.unary()}"
        if self.at("name", "not") and self.tokens[self.position + 1].text == "(":
            self.take()
            self.expect("punct", "(")
            inner = self.disjunction()
            self.expect("punct", ")")
            return f"not ({inner})"
        if self.at("punct", "("):
            self.take()
            inner = self.disjunction()
            self.expect("punct", ")")
            return f"({inner})"
        if self.at("punct", "["):
            self.take()
            items = []
            if not self.at("punct", "]"):
                items.append(self.disjunction())
                while self.at("punct", ","):
                    self.take()
                    items.append(self.disjunction())
            self.expect("punct", "]")
            return "[" + ", ".join(items) + "]"
        if self.at("op", "?"):
            raise FeelError("“?” 只能用在输入条件中")
        return self.value().python


def translate_expression(text: str | None) -> tuple[str, tuple[str, ...]]:
    """FEEL expression → (Python text, names it reads), or raise FeelError. Empty stays
    empty (an empty output gives "")."""
    text = (text or "").strip()
    if not text:
        return "", ()
    parser = _ExpressionParser(text)
    return parser.expression(), tuple(parser.bare_names)


def _engine_expression(text: str) -> bool:
    """Is ``text`` a single safe Python expression as tables written for the engine use
    (e.g. ``amount / county_settings["dibao_monthly"]``)? Tuples are not: a FEEL list
    written without brackets must still be refused."""
    import ast

    from .sandbox import UnsafeExpression, compile_expression

    try:
        compile_expression(text)
        return not isinstance(ast.parse(text, mode="eval").body, ast.Tuple)
    except (UnsafeExpression, SyntaxError):
        return False


# ---------------------------------------------------------------------------------------------
# Whole tables


def dmn_namespace(root) -> str | None:
    namespace = etree.QName(root).namespace
    return namespace if namespace in DMN_NAMESPACES else None


def safe_xml(xml: str | bytes):
    """Parse XML without DTDs, entities or network access (diagrams come from browsers)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=False)
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    root = etree.fromstring(data, parser)  # noqa: S320 - hardened parser above
    if root.getroottree().docinfo.doctype:
        raise FeelError("文件中不允许包含 DOCTYPE（实体声明）")
    return root


def _rule_label(rule, index: int) -> str:
    description = rule.find("{*}description")
    text = (description.text or "").strip() if description is not None else ""
    return f"规则{index}“{text}”" if text else f"规则{index}（{rule.get('id')}）"


def _column_label(column) -> str:
    return column.get("label") or column.get("name") or column.get("id") or ""


def dmn_translate_feel(dmn_xml: str | bytes) -> tuple[str, list[Problem]]:
    """Rewrite a DMN document's entries from FEEL into the engine's Python, in place.

    Returns the translated XML (text, same structure, DMNDI and ids kept) and the problems
    found; an entry that cannot be translated is left as it was and reported as an error.
    """
    try:
        root = safe_xml(dmn_xml)
    except (etree.XMLSyntaxError, FeelError) as exc:
        return (dmn_xml.decode() if isinstance(dmn_xml, bytes) else dmn_xml,
                [Problem("dmn_xml", "", "", f"决策表文件不是合法的 XML（{_xml_where(exc)}）",
                         detail=str(exc))])
    problems: list[Problem] = []
    if dmn_namespace(root) is None:
        problems.append(Problem("dmn_namespace", root.get("id") or "", root.get("name") or "",
                                f"不是 DMN 文件（命名空间 {etree.QName(root).namespace}）"))
    _add_missing_ids(root)
    for decision in root.iter("{*}decision"):
        for table in decision.iter("{*}decisionTable"):
            problems += _translate_table(decision, table)
    xml = etree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml, problems




def _add_missing_ids(root) -> None:
    """SpiffWorkflow requires an id on every table part (older Camunda Modeler exports omit
    the decision table's); give the missing ones a stable generated id."""
    taken = {element.get("id") for element in root.iter() if isinstance(element.tag, str)}
    for element in root.iter("{*}decisionTable", "{*}input", "{*}output", "{*}rule",
                             "{*}inputEntry", "{*}outputEntry"):
        if element.get("id"):
            continue
        local = etree.QName(element).localname
        number = 1
        while f"{local}_{number}" in taken:
            number += 1
        element.set("id", f"{local}_{number}")
        taken.add(f"{local}_{number}")


def _translate_table(decision, table) -> list[Problem]:
    problems = []
    decision_id, decision_name = decision.get("id") or "", decision.get("name") or ""
    inputs = table.findall("{*}input")
    outputs = table.findall("{*}output")

    def report(code, message, severity="error", element_id=None):
        problems.append(Problem(code, element_id or decision_id, decision_name,
                                f"决策表“{decision_name or decision_id}”{message}", severity))

    for column in inputs:
        text_node = column.find("{*}inputExpression/{*}text")
        if text_node is None or not (text_node.text or "").strip():
            # SpiffWorkflow reads the variable the column's label names when the expression
            # is empty; say so in the table itself, so the stored table is what runs.
            label_text = (column.get("label") or "").strip()
            if label_text.isidentifier() and not label_text.startswith("_"):
                if text_node is None:
                    holder = column.find("{*}inputExpression")
                    if holder is None:
                        holder = etree.SubElement(column, etree.QName(column,
                                                                      "inputExpression").text)
                    text_node = etree.SubElement(holder, etree.QName(column, "text").text)
                text_node.text = label_text
                report("dmn_input_label", f"的输入列“{label_text}”没有输入表达式，按标签取变量 "
                       f"{label_text} 的值（与 SpiffWorkflow 相同）", severity="warning",
                       element_id=column.get("id"))
                continue
            report("dmn_input_expression", f"的输入列“{_column_label(column)}”没有输入表达式"
                   + (f"，标签“{label_text}”也不是变量名" if label_text else ""),
                   element_id=column.get("id"))
            continue
        try:
            text_node.text, _ = translate_expression(text_node.text)
        except FeelError as exc:
            if _engine_expression(text_node.text.strip()):
                continue  # already in the engine's expression language
            report("feel_input_expression",
                   f"的输入列“{_column_label(column)}”表达式“{text_node.text}”无法识别：{exc}",
                   element_id=column.get("id"))
    for index, rule in enumerate(table.findall("{*}rule"), start=1):
        label = _rule_label(rule, index)
        for position, entry in enumerate(rule.findall("{*}inputEntry")):
            column = inputs[position] if position < len(inputs) else None
            text_node = entry.find("{*}text")
            original = text_node.text if text_node is not None else ""
            try:
                parsed = parse_unary_tests(original)
            except FeelError as exc:
                report("feel_input_entry", f"{label}的条件“{original}”"
                       f"（{_column_label(column) if column is not None else ''}）无法识别：{exc}",
                       element_id=rule.get("id"))
                continue
            if text_node is None:
                text_node = etree.SubElement(entry, etree.QName(entry, "text").text)
            text_node.text = unary_tests_python(parsed)
            type_ref = _type_ref(column.find("{*}inputExpression")) if column is not None else ""
            for name in parsed.bare_names:
                if type_ref == "string":
                    report("feel_unquoted_string",
                           f"{label}的条件“{original}”中的 {name} 没有加引号，会被当作变量名；"
                           f"文字请写成 \"{name}\"", element_id=rule.get("id"))
                else:
                    report("feel_name", f"{label}的条件“{original}”引用了变量 {name}",
                           severity="warning", element_id=rule.get("id"))
        for position, entry in enumerate(rule.findall("{*}outputEntry")):
            column = outputs[position] if position < len(outputs) else None
            text_node = entry.find("{*}text")
            original = text_node.text if text_node is not None else ""
            try:
                python, names = translate_expression(original)
            except FeelError as exc:
                report("feel_output_entry", f"{label}的输出“{original}”无法识别：{exc}",
                       element_id=rule.get("id"))
                continue
            if text_node is not None:
                text_node.text = python
            for name in names:
                if column is not None and column.get("typeRef") == "string":
                    report("feel_unquoted_string",
                           f"{label}的输出 {name} 没有加引号，会被当作变量名；文字请写成 "
                           f"\"{name}\"", element_id=rule.get("id"))
    return problems


def _type_ref(node) -> str:
    return (node.get("typeRef") or "").lower() if node is not None else ""
