"""Demo organisation: 婺城区 with 3 townships × 3 villages, one user per role per unit.

Used by ``manage.py seed_demo`` and by the tests' fixtures, so that what a newcomer tries
is what the tests check.
"""
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
