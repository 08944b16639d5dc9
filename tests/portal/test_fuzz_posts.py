"""Malformed posts to every form and action: never a 500 (Hypothesis).

Each example posts a random mix of the fields the page expects and junk (non-numeric ids,
"²", 20-digit numbers, NUL characters, bad dates, unknown choices) as a user who may use the
page. The test client re-raises any exception a view lets escape, so an uncaught error fails
the example; a 5xx status fails it too.
"""
import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workflows.temporary_relief.helpers import file_application, open_task

pytestmark = pytest.mark.django_db

FIELDS = ["target", "comment", "missing", "to_user", "signer", "position", "reason",
          "substitute", "starts_on", "ends_on", "users", "roles", "acceptance",
          "missing_items", "refusal_reason", "village", "applicant_name", "id_number",
          "requested_amount", "amount", "decision", "dibao_monthly", "holidays", "workdays",
          "capacity", "full_name", "phone", "password1", "password2", "username", "password",
          "bpmn", "dmns", "cases", "version", "action", "year", "c", "page"]
JUNK = st.sampled_from(["", "0", "-1", "²", "１２", "1e9", "99999999999999999999", "abc",
                        "\x00", "a\x00b", "2026-13-45", "on", "approve", "before", "<x>",
                        "' OR 1=1 --", "None", "[]", "{}", " " * 3, "9" * 400])
VALUES = st.one_of(JUNK, st.text(max_size=40), st.integers().map(str))
POSTS = st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(min_size=1, max_size=8)),
                        st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=8)
FUZZ = settings(max_examples=12, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture
def world(applicant, village, township_staff, supervisor):
    case = file_application(user=applicant, village=village)
    task = open_task(case, "accept")
    return {"case": case, "task": task, "applicant": applicant, "staff": township_staff,
            "supervisor": supervisor}


def _endpoints(world):
    task, case = world["task"].pk, world["case"].pk
    staff, supervisor, applicant = world["staff"], world["supervisor"], world["applicant"]
    return [
        (staff, reverse("portal:task", args=[task])),
        (staff, reverse("portal:task_claim", args=[task])),
        (staff, reverse("portal:task_release", args=[task])),
        (staff, reverse("portal:task_return", args=[task])),
        (staff, reverse("portal:task_return_to_applicant", args=[task])),
        (staff, reverse("portal:task_transfer", args=[task])),
        (staff, reverse("portal:task_delegate", args=[task])),
        (staff, reverse("portal:task_add_signer", args=[task])),
        (staff, reverse("portal:task_remove_signer", args=[task])),
        (staff, reverse("portal:case_take_back", args=[case])),
        (staff, reverse("portal:case_urge", args=[case])),
        (staff, reverse("portal:case_copy", args=[case])),
        (staff, reverse("portal:substitutes")),
        (supervisor, reverse("portal:case_state", args=[case, "suspend"])),
        (supervisor, reverse("portal:case_state", args=[case, "void"])),
        (supervisor, reverse("portal:county_settings")),
        (applicant, reverse("portal:apply", args=["temporary_relief"])),
        (applicant, reverse("portal:case_withdraw", args=[case])),
        (None, reverse("portal:register")),
        (None, reverse("portal:login")),
    ]


ENDPOINT_COUNT = 20


@pytest.mark.parametrize("index", range(ENDPOINT_COUNT))
def test_malformed_posts_never_give_a_server_error(world, index):
    user, url = _endpoints(world)[index]
    client = Client()
    if user is not None:
        client.force_login(user)

    @FUZZ
    @given(post=POSTS)
    def post_junk(post):
        response = client.post(url, post)
        assert response.status_code < 500, (url, post)

    post_junk()


def test_endpoint_list_is_complete(world):
    assert len(_endpoints(world)) == ENDPOINT_COUNT


@given(code=st.text(max_size=30), page=VALUES)
@FUZZ
def test_verification_and_lists_with_junk_query_strings(client, world, code, page):
    client.force_login(world["staff"])
    for url in ("/verify/00000000-0000-0000-0000-000000000000/", reverse("portal:inbox"),
                reverse("portal:cases")):
        response = client.get(url, {"c": code, "page": page, "sort": page, "overdue": page,
                                    "claimed": page})
        assert response.status_code < 500


@pytest.mark.parametrize("name, post, message", [
    ("task_return", {"target": "abc", "comment": "x"}, "退回环节选择无效"),
    ("task_return", {"target": "²", "comment": "x"}, "退回环节选择无效"),
    ("task_transfer", {"to_user": "abc"}, "办理人选择无效"),
    ("task_delegate", {"to_user": "99999999999999999999"}, "办理人选择无效"),
    ("task_add_signer", {"signer": "1", "position": "sideways"}, "请选择前加签或后加签"),
    ("task_add_signer", {"signer": "'1'", "position": "before"}, "加签人选择无效"),
])
def test_tampered_ids_and_choices_get_a_chinese_400(world, name, post, message):
    client = Client()
    client.force_login(world["staff"])
    response = client.post(reverse(f"portal:{name}", args=[world["task"].pk]), post)
    assert response.status_code == 400
    assert message in response.content.decode()
    world["task"].refresh_from_db()
    assert world["task"].status == "open" and world["task"].assignee_id is None
