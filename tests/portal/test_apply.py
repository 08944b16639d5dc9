"""Filing an application: applicants for themselves, village staff on behalf (村委会代办)."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from engine.models import Case, TaskStatus, Unit
from portal.models import ApplicantProfile
from tests.workflows.temporary_relief.helpers import VALID_ID, application_data
from tests.files import PDF

pytestmark = pytest.mark.django_db

APPLY_URL = reverse("portal:apply", args=["temporary_relief"])


def test_procedure_list_for_applicants(client_for, applicant):
    response = client_for(applicant).get(reverse("portal:procedures"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "临时救助" in content and APPLY_URL in content


def test_applicant_form_is_prefilled_from_the_profile(client_for, applicant):
    ApplicantProfile.objects.create(user=applicant, id_number=VALID_ID, phone="13800000001")
    response = client_for(applicant).get(APPLY_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {"applicant_name": "张建国", "id_number": VALID_ID,
                            "phone": "13800000001"}
    assert f'value="{VALID_ID}"' in response.content.decode()


def test_applicant_files_for_themselves(client_for, applicant, village):
    response = client_for(applicant).post(APPLY_URL, application_data(village), follow=True)
    case = Case.objects.get()
    assert response.redirect_chain[-1][0] == reverse("portal:case", args=[case.pk])
    assert "申请已提交" in response.content.decode()
    assert case.applicant == applicant
    assert case.created_by == applicant
    assert case.data["filed_on_behalf"] is False
    assert case.tasks.get(status=TaskStatus.OPEN).spec_name == "accept"


def test_uploaded_materials_become_case_attachments(client_for, applicant, village):
    data = application_data(village)
    data["attachments"] = [SimpleUploadedFile("诊断证明.pdf", PDF, "application/pdf")]
    response = client_for(applicant).post(APPLY_URL, data)
    case = Case.objects.get()
    assert response["Location"] == reverse("portal:case", args=[case.pk])
    assert list(case.attachments.values_list("name", flat=True)) == ["诊断证明.pdf"]
    assert "attachments" not in case.data


def test_refused_upload_is_reported_next_to_the_field(client_for, applicant, village):
    data = application_data(village)
    data["attachments"] = [SimpleUploadedFile("x.exe", b"MZ", "application/x-msdownload")]
    response = client_for(applicant).post(APPLY_URL, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "格式不支持" in content and "请重新选择要上传的文件" in content
    assert not Case.objects.exists()


def test_invalid_application_comes_back_filled_with_chinese_errors(client_for, applicant,
                                                                    village):
    data = application_data(village, id_number="330702198001011233", requested_amount="",
                            authorization_signed=None)
    response = client_for(applicant).post(APPLY_URL, data)
    assert response.status_code == 200
    assert not Case.objects.exists()
    content = response.content.decode()
    form = response.context["form"]
    assert form.errors["id_number"] == ["身份证号码校验位不正确，请核对后重新输入"]
    assert form.errors["requested_amount"] == ["此项为必填项"]
    assert form.errors["authorization_signed"] == ["必须签署家庭经济状况核对授权书才能申请"]
    # nothing the applicant typed is lost
    for value in ("张建国", "330702198001011233", "13800000001", "罗店村12号",
                  "6217000000000001"):
        assert f'value="{value}"' in content, value
    assert "户主突发脑梗住院" in content
    assert f'<option value="{village.pk}" selected>' in content


def test_village_staff_file_on_behalf_within_their_village(client_for, village_staff,
                                                            village):
    client = client_for(village_staff)
    response = client.get(APPLY_URL)
    assert response.status_code == 200
    assert "村委会代办" in response.content.decode()
    assert list(response.context["form"].fields["village"].queryset) == [village]
    response = client.post(APPLY_URL, application_data(village))
    case = Case.objects.get()
    assert response["Location"] == reverse("portal:case", args=[case.pk])
    assert case.applicant is None
    assert case.created_by == village_staff
    assert case.data["filed_on_behalf"] is True


def test_village_staff_cannot_file_for_another_village(client_for, village_staff):
    other_village = Unit.objects.get(name="后溪村")
    response = client_for(village_staff).post(APPLY_URL, application_data(other_village))
    assert response.status_code == 200
    assert "village" in response.context["form"].errors
    assert not Case.objects.exists()


@pytest.mark.parametrize("persona", ["township_staff", "township_leader", "county_staff",
                                     "outsider"])
def test_township_and_county_staff_may_not_file(request, client_for, persona, village):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(reverse("portal:procedures")).status_code == 403
    assert client.get(APPLY_URL).status_code == 403
    response = client.post(APPLY_URL, application_data(village))
    assert response.status_code == 403
    assert "不能提交申请" in response.content.decode()
    assert not Case.objects.exists()


def test_unknown_procedure_is_404(client_for, applicant):
    assert client_for(applicant).get(
        reverse("portal:apply", args=["no_such_thing"])).status_code == 404


def test_csrf_is_enforced(applicant, village):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant)
    assert client.post(APPLY_URL, application_data(village)).status_code == 403
    assert not Case.objects.exists()
