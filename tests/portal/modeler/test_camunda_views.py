"""The modeler's Camunda 7 import pages: upload → report (translated / not translated, the
translation's problems) → mapping edited per county → translate again → draft → deploy."""
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engine.camunda_mapping import mapping_dicts, mapping_save
from engine.models import AuditAction, AuditEntry, CamundaMapping, DefinitionDraft, Unit

DATA = Path(__file__).resolve().parents[2] / "data" / "camunda"
KEY = "temporary_relief"
pytestmark = pytest.mark.django_db


def county_of(user):
    from portal.selectors import county_supervised_or_403

    return county_supervised_or_403(user)


def _files():
    return ((DATA / "relief_camunda7.bpmn").read_text(encoding="utf-8"),
            (DATA / "relief_levels_drd.dmn").read_text(encoding="utf-8"))


def _upload(client, **extra):
    bpmn, dmn = _files()
    return client.post(reverse("portal:modeler:camunda_import", args=[KEY]), {
        "bpmn_file": SimpleUploadedFile("relief.bpmn", bpmn.encode()),
        "dmn_files": [SimpleUploadedFile("levels.dmn", dmn.encode())], **extra})


@pytest.mark.parametrize("persona", ["county_staff", "township_staff", "applicant"])
@pytest.mark.parametrize("name", ["camunda_import", "camunda_mapping"])
def test_only_supervisors(request, client_for, persona, name):
    url = reverse(f"portal:modeler:{name}", args=[KEY] if name == "camunda_import" else [])
    client = client_for(request.getfixturevalue(persona))
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not CamundaMapping.objects.exists()


def test_upload_reports_and_records_the_names_to_map(client_for, supervisor):
    client = client_for(supervisor)
    response = _upload(client)
    assert response.status_code == 200
    page = response.content.decode()
    assert "level == &#x27;township&#x27; and amount &lt;= 1000" in page  # the translation shown
    assert "Township Clerks" in page and "没有对应的角色" in page
    county = county_of(supervisor)
    names = set(CamundaMapping.objects.filter(county=county).values_list("name", flat=True))
    assert {"Township Clerks", "county-office", "wang.leader"} <= names
    assert mapping_dicts(county) == ({}, {})  # seen, not mapped


def test_mapping_then_translate_again_and_save_a_draft(client_for, supervisor, township_leader):
    client = client_for(supervisor)
    _upload(client)
    county = county_of(supervisor)
    rows = {r.name: r for r in CamundaMapping.objects.filter(county=county)}
    targets = {"Township Clerks": "township_staff", "Township Leaders": "township_leader",
               "County Office": "county_staff", "township-clerks": "township_staff",
               "county-office": "county_staff", "wang.leader": township_leader.username}
    response = client.post(reverse("portal:modeler:camunda_mapping"), {
        f"row_{rows[name].pk}": target for name, target in targets.items()})
    assert response.status_code == 302
    assert mapping_dicts(county)[0]["Township Clerks"] == "township_staff"
    assert AuditEntry.objects.filter(action=AuditAction.SETTINGS,
                                     summary__contains="Camunda").exists()
    bpmn, dmn = _files()
    url = reverse("portal:modeler:camunda_import", args=[KEY])
    again = client.post(url, {"bpmn_source": bpmn, "dmn_sources": json.dumps([dmn]),
                              "action": "preview"})
    page = again.content.decode()
    assert "无法翻译（0 项）" in page and "（0 个错误）" in page, page[page.find("无法翻译"):]
    saved = client.post(url, {"bpmn_source": bpmn, "dmn_sources": json.dumps([dmn]),
                              "action": "save"})
    assert saved.status_code == 302
    draft = DefinitionDraft.objects.get(key=KEY, county=county)
    assert "township_staff" in draft.bpmn_xml and len(draft.dmn_xml) == 2


def test_bad_mapping_is_refused_whole_in_chinese(supervisor):
    from django.core.exceptions import ValidationError

    county = county_of(supervisor)
    with pytest.raises(ValidationError) as caught:
        mapping_save(county=county, user=supervisor, rows=[
            ("group", "HR", "county_staff"), ("group", "Ops", "no_such_role"),
            ("user", "john", "nobody_here")])
    assert "no_such_role" in " ".join(caught.value.messages)
    assert "nobody_here" in " ".join(caught.value.messages)
    assert not CamundaMapping.objects.exists()


@pytest.mark.parametrize("content, message", [
    (b"not xml <", "文件不是合法的 XML"), (b"<a>\x00</a>", "文件不是合法的 XML"),
    (b"\xff\xfe<a/>", "不是 UTF-8 编码"), (b"", "请选择要导入的 BPMN 流程图"),
    (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "DOCTYPE"),
])
def test_bad_files_are_a_chinese_error(client_for, supervisor, content, message):
    response = client_for(supervisor).post(
        reverse("portal:modeler:camunda_import", args=[KEY]),
        {"bpmn_file": SimpleUploadedFile("x.bpmn", content)})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CamundaMapping.objects.exists()


def test_layout_says_a_file_is_camunda(client_for, supervisor):
    bpmn, _ = _files()
    response = client_for(supervisor).post(
        reverse("portal:modeler:layout", args=[KEY]), data=json.dumps({"bpmn_xml": bpmn}),
        content_type="application/json")
    assert response.json()["camunda"] is True


def test_malformed_posts_never_give_a_server_error(client_for, supervisor):
    from hypothesis import given
    from hypothesis import strategies as st

    from tests.portal.test_fuzz_posts import FUZZ, JUNK, VALUES

    client = client_for(supervisor)
    fields = st.sampled_from(["bpmn_source", "dmn_sources", "action", "new_kind", "new_name",
                              "new_target", "next", "row_1", "bpmn_file"])
    posts = st.dictionaries(fields, st.one_of(VALUES, JUNK, st.just("<a>\x00</a>"),
                                              st.just('["<x/>", 3]'), st.just("[\"<x\"]")),
                            max_size=6)
    urls = [reverse("portal:modeler:camunda_import", args=[KEY]),
            reverse("portal:modeler:camunda_mapping")]

    @FUZZ
    @given(post=posts, index=st.sampled_from([0, 1]))
    def post_junk(post, index):
        response = client.post(urls[index], post)
        assert response.status_code < 500, (urls[index], post)

    post_junk()


def test_a_county_sees_and_changes_only_its_own_mapping(supervisor):
    from engine.models import UnitLevel

    own = county_of(supervisor)
    other = Unit.objects.filter(level=UnitLevel.COUNTY).exclude(pk=own.pk).first()
    mapping_save(county=own, user=supervisor, rows=[("group", "HR", "county_staff")])
    assert mapping_dicts(own)[0] == {"HR": "county_staff"}
    if other is not None:
        assert mapping_dicts(other) == ({}, {})
