"""The roles the shipped procedures' lanes name (BPMN lane = role code).

Every installation has them, demo or not: ``manage.py bootstrap_county`` and the demo seed both
call ``roles_ensure``. ``level`` is the unit level a holder's jurisdiction sits at.

Reach (``engine.models.RoleReach``): the bureau's own roles (``BUREAU_ROLES``) see every case
within their unit of a procedure whose diagram names them; every other role — departments,
the assessor, the works provider, the supervising unit, and any role added later — sees only
the cases where it has or had a task, and of those only what its task declares
(``engine.visibility.TaskView``).
"""
from engine.models import Role, RoleReach, UnitLevel

BUREAU_ROLES = frozenset({"village_staff", "township_staff", "township_leader",
                          "county_staff", "county_leader"})

ROLES = [
    ("applicant", "申请人", ""),
    ("village_staff", "村/社区协理员", UnitLevel.VILLAGE),
    ("township_staff", "乡镇经办人", UnitLevel.TOWNSHIP),
    ("township_leader", "乡镇分管领导", UnitLevel.TOWNSHIP),
    ("county_staff", "县民政局科室经办人", UnitLevel.COUNTY),
    ("county_leader", "县民政局分管局长", UnitLevel.COUNTY),
    ("org_supervisor", "业务主管单位", UnitLevel.COUNTY),
    ("department:公安", "公安", UnitLevel.COUNTY),
    ("department:人社", "人社", UnitLevel.COUNTY),
    ("department:医保", "医保", UnitLevel.COUNTY),
    ("department:卫健", "卫健", UnitLevel.COUNTY),
    ("department:殡仪馆", "殡仪馆", UnitLevel.COUNTY),
    ("department:民政", "民政", UnitLevel.COUNTY),
    ("department:残联", "残联", UnitLevel.COUNTY),
    ("department:公积金中心", "公积金中心", UnitLevel.COUNTY),
    ("department:婚姻登记", "婚姻登记处", UnitLevel.COUNTY),
    ("department:自然资源", "自然资源和规划局", UnitLevel.COUNTY),
    ("department:发改", "发展改革局", UnitLevel.COUNTY),
    ("department:住建", "住房和城乡建设局", UnitLevel.COUNTY),
    ("department:林业", "林业局", UnitLevel.COUNTY),
    ("department:生态环境", "生态环境分局", UnitLevel.COUNTY),
    ("department:民宗", "民族宗教事务局", UnitLevel.COUNTY),
    ("assessor", "评估机构", UnitLevel.COUNTY),
    ("provider", "施工单位", UnitLevel.COUNTY),
]


def roles_ensure() -> None:
    """Create or update every product role (idempotent)."""
    for code, name, level in ROLES:
        reach = RoleReach.PROCEDURE if code in BUREAU_ROLES else RoleReach.TASK
        Role.objects.update_or_create(code=code, defaults={"name": name, "level": level,
                                                           "reach": reach})
