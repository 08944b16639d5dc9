"""Demo organisation: 婺城区 with 3 townships × 3 villages, one user per role per unit.

Used by ``manage.py seed_demo`` and by the tests' fixtures, so that what a newcomer tries
is what the tests check.
"""
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from engine.models import Unit, UnitLevel
from engine.services import role_assign, unit_create

from .roles import roles_ensure

# Pinyin slugs for the usernames of department accounts (wucheng_dept_<slug>).
DEPARTMENT_SLUGS = {
    "公安": "police", "人社": "hrss", "医保": "medins", "卫健": "health", "殡仪馆": "funeral",
    "民政": "civil", "残联": "disabled", "公积金中心": "housingfund", "婚姻登记": "marriage",
    "自然资源": "land", "发改": "drc", "住建": "housing", "林业": "forestry",
    "生态环境": "ecology", "民宗": "religion",
}

COUNTY = ("婺城区", "wucheng")
TOWNSHIPS = [
    ("罗店镇", "luodian", ["罗店村", "后溪村", "西吴村"]),
    ("安地镇", "andi", ["安地村", "岩头村", "喻斯村"]),
    ("蒋堂镇", "jiangtang", ["蒋堂村", "孙宅村", "汤溪村"]),
]
# The demo county has devolved township approval (下放, engine/issuers.py): townships issue
# their decisions in their own name, seal and number series (罗店政救〔2026〕1号).
TOWNSHIP_ISSUERS = {
    "罗店镇": ("罗店政", "金华市婺城区罗店镇人民政府"),
    "安地镇": ("安地政", "金华市婺城区安地镇人民政府"),
    "蒋堂镇": ("蒋堂政", "金华市婺城区蒋堂镇人民政府"),
}
DEMO_PASSWORD = "minzheng2026"


def _user(username: str, full_name: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=username, defaults={"first_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def demo_seed() -> list[tuple[str, str, str]]:
    """Create the demo organisation and users (idempotent). Returns (username, role, unit)."""
    roles_ensure()
    county = Unit.objects.filter(level=UnitLevel.COUNTY, name=COUNTY[0]).first()
    if county is None:
        county = unit_create(name=COUNTY[0], level=UnitLevel.COUNTY, doc_prefix="婺民",
                             office_name="金华市婺城区民政局",
                             settings={"dibao_monthly": 1050, "holidays": [], "workdays": [],
                                       "township_approval_form": "devolved"})
    created = []

    def staff(username, full_name, role, unit):
        user = _user(username, full_name)
        role_assign(user=user, role=role, unit=unit)
        created.append((username, role, unit.name))

    staff(f"{COUNTY[1]}_county_staff", "周科员", "county_staff", county)
    staff(f"{COUNTY[1]}_county_leader", "吴局长", "county_leader", county)
    supervisor = _user(f"{COUNTY[1]}_supervisor", "郑主任")
    role_assign(user=supervisor, role="county_leader", unit=county)
    from guardian.shortcuts import assign_perm

    assign_perm("engine.supervise_unit", supervisor, county)
    created.append((supervisor.username, "county_leader + supervisor", county.name))
    for department, slug in DEPARTMENT_SLUGS.items():
        staff(f"{COUNTY[1]}_dept_{slug}", f"{department}经办人", f"department:{department}",
              county)
    staff(f"{COUNTY[1]}_org_supervisor", "业务主管单位经办人", "org_supervisor", county)
    staff(f"{COUNTY[1]}_assessor", "评估机构评估员", "assessor", county)
    staff(f"{COUNTY[1]}_provider", "施工单位项目经理", "provider", county)
    for township_name, slug, villages in TOWNSHIPS:
        doc_prefix, office_name = TOWNSHIP_ISSUERS[township_name]
        township = Unit.objects.filter(parent=county, name=township_name).first() or \
            unit_create(name=township_name, level=UnitLevel.TOWNSHIP, parent=county,
                        doc_prefix=doc_prefix, office_name=office_name)
        if not township.doc_prefix:  # a demo database seeded before townships had them
            Unit.objects.filter(pk=township.pk).update(doc_prefix=doc_prefix,
                                                       office_name=office_name)
        staff(f"{slug}_staff", f"{township_name}经办人", "township_staff", township)
        staff(f"{slug}_leader", f"{township_name}分管领导", "township_leader", township)
        for index, village_name in enumerate(villages, start=1):
            village = Unit.objects.filter(parent=township, name=village_name).first() or \
                unit_create(name=village_name, level=UnitLevel.VILLAGE, parent=township)
            staff(f"{slug}_v{index}_staff", f"{village_name}协理员", "village_staff", village)
    applicant = _user("applicant_zhang", "张建国")
    created.append((applicant.username, "applicant", "—"))
    return created


# ---------------------------------------------------------------------------------------------
# Demo cases in every stage (each procedure's demo.py declares its ``STAGES``)


@dataclass(frozen=True)
class DemoStage:
    """One demo case a newcomer can open: ``applicant_name`` (unique in the demo) of
    procedure ``procedure``, seen by logging in as ``account``. A running case waits at the
    user task ``spec_name``; a finished one (``spec_name`` empty) holds a ``doc_type``
    document. The README's demo table lists exactly these (a test compares them)."""

    procedure: str
    stage: str
    applicant_name: str
    account: str
    spec_name: str = ""
    doc_type: str = ""


def demo_user(username: str):
    return get_user_model().objects.get(username=username)


def demo_case(stage: DemoStage):
    """The stage's case if the seed made it already (idempotence: one case per stage)."""
    from engine.models import Case

    return Case.objects.filter(procedure=stage.procedure,
                               applicant_name=stage.applicant_name).order_by("-pk").first()


def demo_file(procedure_key: str, data: dict, *, username: str, on_behalf: bool,
              files: dict | None = None):
    """File an application through the procedure's form and the engine, as the portal does."""
    from django.utils.datastructures import MultiValueDict

    from .registry import procedure_get
    from .services import application_form_uploads, application_submit

    procedure = procedure_get(procedure_key)
    form = procedure.application_form(data=data, files=MultiValueDict(files or {}))
    if not form.is_valid():
        raise ValueError(f"演示申请数据无效（{procedure.name}）：{form.errors.as_text()}")
    return application_submit(procedure=procedure, cleaned_data=form.cleaned_data,
                              user=demo_user(username), on_behalf=on_behalf,
                              uploads=application_form_uploads(form))


def demo_complete(case, username: str, spec_name: str, *, files: dict | None = None,
                  lane: str | None = None, **data) -> None:
    """Complete the case's open task ``spec_name`` (in ``lane`` when several are open) as
    ``username`` through the task's form, as the portal does. Refuses a task the user could
    not see in their inbox."""
    from django.utils.datastructures import MultiValueDict

    from engine.models import TaskStatus
    from engine.selectors import task_list_for_user

    from .registry import procedure_get
    from .services import task_submit

    user = demo_user(username)
    tasks = case.tasks.filter(status=TaskStatus.OPEN, spec_name=spec_name)
    if lane:
        tasks = tasks.filter(lane=lane)
    task = tasks.order_by("pk").first()
    if task is None or not task_list_for_user(user=user).filter(pk=task.pk).exists():
        raise ValueError(f"演示数据：{username} 没有案件 {case.applicant_name} 的待办 {spec_name}")
    case.refresh_from_db()
    form = procedure_get(case.procedure).task_form_class(spec_name)(
        data=data, files=MultiValueDict(files or {}), case_data=case.data)
    if not form.is_valid():
        raise ValueError(f"演示数据表单无效（{spec_name}）：{form.errors.as_text()}")
    task_submit(task=task, form=form, user=user)
    case.refresh_from_db()


def demo_pdf(name: str):
    """A one-page blank PDF upload (the demo's scanned material)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), "application/pdf")


def demo_photo(name: str):
    """A small JPEG upload (the demo's site photo)."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 190, 200)).save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), "image/jpeg")


def demo_id_number(*, birth: str, serial: int, female: bool) -> str:
    """A checksum-valid 婺城区 (330702) ID number born ``birth`` (YYYYMMDD); ``serial``
    (0-49) keeps the demo's people apart."""
    from .common.fields import id_number_check_char

    first17 = f"330702{birth}{serial:02d}{(2 * (serial % 5)) + (0 if female else 1)}"
    return first17 + id_number_check_char(first17)


def stages_seed(stages, makers: dict) -> int:
    """Create each stage's case that does not exist yet with
    ``makers[stage.applicant_name]()``; returns how many were made."""
    made = 0
    for stage in stages:
        if demo_case(stage) is None:
            makers[stage.applicant_name]()
            made += 1
    return made
