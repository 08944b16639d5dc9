"""Demo notes for cemetery approval: the procedure needs no data of its own (the departments
it consults are the DMN table bpmn/cemetery_approval_departments.dmn), so the seed only says
which demo accounts walk each path."""
from ..demo import DEMO_PASSWORD, DEPARTMENT_SLUGS
from .forms import credit_code_check_char

# A well-formed unified social credit code for trying the operating-cemetery path.
DEMO_CREDIT_CODE = "91330702MA2H00001" + credit_code_check_char("91330702MA2H00001")


def seed() -> list[str]:
    """Return the notes to print (nothing is written)."""
    departments = "、".join(f"wucheng_dept_{DEPARTMENT_SLUGS[d]}（{d}）"
                           for d in ("自然资源", "发改", "住建", "林业", "生态环境", "民宗"))
    return [
        f"公墓审批（密码 {DEMO_PASSWORD}）：",
        "  农村公益性墓地：luodian_v1_staff 代罗店村村民委员会申请 → luodian_staff 审核"
        "（选址核查） → luodian_leader 同意 → 各部门会签 → wucheng_county_staff 汇总"
        " → wucheng_county_leader 批复",
        f"  会签部门账号：{departments}",
        "  经营性公墓：applicant_zhang 以企业名义申请（统一社会信用代码可填 "
        f"{DEMO_CREDIT_CODE}）→ wucheng_county_staff 审查 → wucheng_county_leader 转报"
        " → wucheng_county_staff 登记省级审批结果",
    ]
