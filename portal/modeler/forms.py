"""Forms of the modeler. The editor page posts JSON (the diagram and tables as exported by
bpmn-js / dmn-js); the deploy, rollback and migration pages post ordinary forms."""
import json
import re

from django import forms
from lxml import etree

from engine.feel import FeelError
from engine.models import Unit

from .roundtrip import restore_dropped

MAX_XML = 2_000_000  # characters; the largest shipped diagram is ~20 000


class DefinitionPayloadForm(forms.Form):
    """A diagram and its decision tables, as the editor exports them."""

    bpmn_xml = forms.CharField(max_length=MAX_XML, strip=False,
                               error_messages={"required": "缺少流程图"})
    dmn_xmls = forms.JSONField(required=False)
    # What the page gave bpmn-js and what bpmn-js wrote right after reading it: what it
    # dropped is put back into ``bpmn_xml`` (portal/modeler/roundtrip.py).
    bpmn_source = forms.CharField(max_length=MAX_XML, strip=False, required=False)
    bpmn_baseline = forms.CharField(max_length=MAX_XML, strip=False, required=False)

    def clean(self):
        cleaned = super().clean()
        source, baseline = cleaned.get("bpmn_source"), cleaned.get("bpmn_baseline")
        if cleaned.get("bpmn_xml") and source and baseline:
            try:
                cleaned["bpmn_xml"] = restore_dropped(source=source, baseline=baseline,
                                                      edited=cleaned["bpmn_xml"])
            except (etree.XMLSyntaxError, FeelError):
                pass  # not XML: the check of bpmn_xml itself says what is wrong
        return cleaned

    def clean_dmn_xmls(self):
        value = self.cleaned_data.get("dmn_xmls") or []
        if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
            raise forms.ValidationError("决策表格式不正确")
        if any(len(x) > MAX_XML for x in value):
            raise forms.ValidationError("决策表过大")
        return value

    @classmethod
    def from_body(cls, body: bytes, **kwargs):
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if "dmn_xmls" in data:
            data["dmn_xmls"] = json.dumps(data["dmn_xmls"])
        return cls(data=data, **kwargs), data


_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)(?:\.([A-Za-z][A-Za-z0-9_]*))?\s*=\s*(.*?)\s*$")


def _value(text: str):
    """``2000`` → 2000, ``true`` → True, ``"a"`` → "a", ``[1, 2]`` → [1, 2]; anything else
    is taken as text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _lines(text: str, *, dotted: bool) -> list[tuple[str, str | None, object]]:
    """``name = value`` lines (``step.name = value`` when ``dotted``); # starts a comment."""
    example = "步骤ID.字段 = 值" if dotted else "字段 = 值"
    entries = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None or (match.group(2) is not None and not dotted):
            raise forms.ValidationError(f"第 {number} 行格式应为“{example}”：{line.strip()}")
        entries.append((match.group(1), match.group(2), _value(match.group(3))))
    return entries


class DryRunForm(DefinitionPayloadForm):
    """A sample case: the village it is filed in, its application data, and what each step
    decides (``accept.acceptance = "accept"``; ``timer_id = {}`` fires a boundary timer)."""

    village = forms.ModelChoiceField(queryset=Unit.objects.none(), label="所在村（社区）",
                                     error_messages={"required": "请选择村（社区）",
                                                     "invalid_choice": "请选择本县的村（社区）"})
    data = forms.CharField(required=False, strip=False, label="申请数据")
    decisions = forms.CharField(required=False, strip=False, label="各步骤办理结果")

    def __init__(self, *args, villages=None, **kwargs):
        super().__init__(*args, **kwargs)
        if villages is not None:
            self.fields["village"].queryset = villages

    def clean_data(self):
        return {name: value for name, _, value in _lines(self.cleaned_data["data"],
                                                         dotted=False)}

    def clean_decisions(self):
        decisions: dict[str, dict] = {}
        for step, field, value in _lines(self.cleaned_data["decisions"], dotted=True):
            if field is None:
                if not isinstance(value, dict):
                    raise forms.ValidationError(f"“{step}”的值应为 {{...}}")
                decisions.setdefault(step, {}).update(value)
            else:
                decisions.setdefault(step, {})[field] = value
        return decisions


class LibraryUploadForm(forms.Form):
    """A process for the county's library: its key, name, diagram file and why."""

    key = forms.SlugField(label="流程标识（英文字母、数字、下划线）", max_length=60,
                          error_messages={"required": "请填写流程标识",
                                          "invalid": "流程标识只能包含英文字母、数字、下划线和连字符"})
    name = forms.CharField(label="名称", max_length=100,
                           error_messages={"required": "请填写名称"})
    bpmn_file = forms.FileField(label="BPMN 流程图文件", error_messages={
        "required": "请选择 BPMN 文件", "empty": "文件是空的"})
    reason = forms.CharField(label="部署原因", max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请填写部署原因（将记录在版本历史中）"})

    def clean_bpmn_file(self):
        upload = self.cleaned_data["bpmn_file"]
        if upload.size > MAX_XML:
            raise forms.ValidationError("文件过大")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("文件不是 UTF-8 编码的文本") from None


class ReasonForm(forms.Form):
    """Deploy and rollback both record why."""

    reason = forms.CharField(label="原因", max_length=500,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写原因（将记录在版本历史中）"})


class MigrateForm(forms.Form):
    cases = forms.MultipleChoiceField(label="案件", error_messages={
        "required": "请至少选择一个案件", "invalid_choice": "所选案件不在列表中"})

    def __init__(self, *args, case_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = [(str(pk), str(pk)) for pk in case_ids]


class CamundaUploadForm(forms.Form):
    """A Camunda Modeler diagram and its decision tables, uploaded for translation; or, on
    the second step, the same files carried as text (``bpmn_source`` / ``dmn_sources``)."""

    # The uploads ``bpmn_file`` and ``dmn_files`` (several) are read from ``self.files``.
    bpmn_source = forms.CharField(required=False, strip=False, max_length=MAX_XML,
                                  widget=forms.HiddenInput)
    dmn_sources = forms.JSONField(required=False, widget=forms.HiddenInput,
                                  error_messages={"invalid": "决策表格式不正确"})

    def _read(self, upload) -> str:
        if upload.size > MAX_XML:
            raise forms.ValidationError(f"文件“{upload.name}”过大")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(f"文件“{upload.name}”不是 UTF-8 编码的文本") from None

    def clean(self):
        data = super().clean()
        bpmn = data.get("bpmn_source") or ""
        upload = self.files.get("bpmn_file")
        if upload is not None:
            bpmn = self._read(upload)
        if not bpmn.strip():
            raise forms.ValidationError("请选择要导入的 BPMN 流程图")
        dmns = data.get("dmn_sources") or []
        if not isinstance(dmns, list) or not all(isinstance(x, str) and len(x) <= MAX_XML
                                                 for x in dmns):
            raise forms.ValidationError("决策表格式不正确")
        uploads = self.files.getlist("dmn_files")
        if uploads:
            dmns = [self._read(item) for item in uploads[:20]]
        data["bpmn"], data["dmns"] = bpmn, dmns
        return data


class CamundaMappingForm(forms.Form):
    """One field per mapping row (``group:<pk>`` a role, ``user:<pk>`` a user name), plus
    one new row."""

    new_kind = forms.ChoiceField(label="类型", required=False,
                                 choices=[("group", "组或泳道"), ("user", "用户")])
    new_name = forms.CharField(label="Camunda 名称", required=False, max_length=200)
    new_target = forms.CharField(label="对应为", required=False, max_length=150)

    def __init__(self, *args, rows=(), roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = list(rows)
        choices = [("", "（未对应）")] + [(code, f"{name}（{code}）") for code, name in roles]
        for row in self.rows:
            if row.kind == "group":
                field = forms.ChoiceField(label=row.name, required=False, choices=choices,
                                          initial=row.target)
            else:
                field = forms.CharField(label=row.name, required=False, max_length=150,
                                        initial=row.target)
            self.fields[f"row_{row.pk}"] = field

    def row_fields(self):
        return [(row, self[f"row_{row.pk}"]) for row in self.rows]

    def mapping(self) -> list[tuple[str, str, str]]:
        data = self.cleaned_data
        rows = [(row.kind, row.name, data.get(f"row_{row.pk}") or "") for row in self.rows]
        if (data.get("new_name") or "").strip():
            rows.append((data.get("new_kind") or "group", data["new_name"],
                         data.get("new_target") or ""))
        return rows
