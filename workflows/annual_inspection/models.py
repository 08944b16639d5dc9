"""Data of the social-organisation annual inspection (社会组织年检): the organisations, the
yearly campaigns, each organisation's result per year, the abnormal-activity directory
(活动异常名录) and the spot-check draws (双随机抽查).

Changed only through ``workflows.annual_inspection.services`` (and the run_actions the diagrams
call); the county edits organisations in Django admin.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from engine.models import Case, Unit, UnitLevel

from ..common.fields import (  # noqa: E402,F401 - re-exported for migrations and demo
    CREDIT_CODE_CHARS,
    credit_code_check_char,
    validate_credit_code,
)


class OrgType(models.TextChoices):
    SOCIAL_GROUP = "social_group", "社会团体"
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise", "民办非企业单位"


class OrgStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    REVOKED = "revoked", "已撤销登记"


class SocialOrganisation(models.Model):
    """A social organisation registered with the county bureau (登记管理机关)."""

    name = models.CharField("名称", max_length=100, unique=True)
    credit_code = models.CharField("统一社会信用代码", max_length=18, unique=True,
                                   validators=[validate_credit_code])
    org_type = models.CharField("类型", max_length=30, choices=OrgType.choices)
    registered_on = models.DateField("登记日期")
    supervising_unit = models.CharField("业务主管单位", max_length=100, blank=True,
                                        help_text="无业务主管单位（直接登记）的留空")
    village = models.ForeignKey(Unit, verbose_name="住所所在村（社区）", on_delete=models.PROTECT,
                                related_name="+", limit_choices_to={"level": UnitLevel.VILLAGE})
    account = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="组织账号", null=True,
                                blank=True, on_delete=models.PROTECT,
                                related_name="social_organisations")
    status = models.CharField("状态", max_length=10, choices=OrgStatus.choices,
                              default=OrgStatus.ACTIVE)
    revoked_on = models.DateField("撤销登记日期", null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "社会组织"

    def __str__(self):
        return self.name

    def clean(self):
        if self.village_id and self.village.level != UnitLevel.VILLAGE:
            raise ValidationError({"village": "住所必须选择村（社区）"})


class InspectionCampaign(models.Model):
    """The county's annual inspection of year ``year`` (reports on that year's work)."""

    county = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField("年检年度")
    report_deadline = models.DateField("报送截止日期")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    # The spot check's seed is generated and committed to (its SHA-256 published) when the
    # campaign opens, before any report is filed; the draw later reveals it, so the person
    # drawing cannot try seeds until the result suits them.
    spot_check_seed = models.CharField("抽查随机种子", max_length=64, blank=True)
    spot_check_seed_sha256 = models.CharField("抽查随机种子SHA-256", max_length=64, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = verbose_name_plural = "年检工作"
        constraints = [models.UniqueConstraint(fields=["county", "year"],
                                               name="one_inspection_campaign_per_year")]

    def __str__(self):
        return f"{self.county} {self.year}年度社会组织年检"


class InspectionResult(models.TextChoices):
    PENDING = "pending", "年检中"
    EXEMPT = "exempt", "当年新登记，免于年检"
    PASS = "pass", "合格"
    BASIC = "basic", "基本合格"
    FAIL = "fail", "不合格"
    MISSED = "missed", "未参加年检"


CONCLUSIONS = (InspectionResult.PASS, InspectionResult.BASIC, InspectionResult.FAIL)


class InspectionRecord(models.Model):
    """One organisation's annual inspection of one year: the conclusion record (name, credit
    code, year, conclusion, problems, rectification deadline). Years before the system was
    introduced are imported without a campaign or case."""

    organisation = models.ForeignKey(SocialOrganisation, on_delete=models.PROTECT,
                                     related_name="inspections")
    year = models.PositiveIntegerField()
    campaign = models.ForeignKey(InspectionCampaign, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="records")
    case = models.OneToOneField(Case, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    result = models.CharField(max_length=10, choices=InspectionResult.choices,
                              default=InspectionResult.PENDING)
    problems = models.TextField(blank=True)
    rectification_deadline = models.DateField(null=True, blank=True)
    concluded_on = models.DateField(null=True, blank=True)
    spot_checked = models.BooleanField(default=False)
    spot_check_findings = models.TextField(blank=True)
    # 补报: the report was filed after the deadline (the sanction path decides what follows).
    filed_late_on = models.DateField("补报日期", null=True, blank=True)

    class Meta:
        ordering = ["-year", "organisation__name"]
        verbose_name = verbose_name_plural = "年检结论"
        constraints = [models.UniqueConstraint(fields=["organisation", "year"],
                                               name="one_inspection_per_org_year")]

    def __str__(self):
        return f"{self.organisation} {self.year} {self.get_result_display()}"


class AbnormalListing(models.Model):
    """An entry in the abnormal-activity directory (活动异常名录): the year the inspection was
    missed, the listing date, and the removal when there is one."""

    organisation = models.ForeignKey(SocialOrganisation, on_delete=models.PROTECT,
                                     related_name="abnormal_listings")
    year_missed = models.PositiveIntegerField("未参加年检的年度")
    listed_on = models.DateField("列入日期")
    reason = models.CharField("列入事由", max_length=200)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    removed_on = models.DateField("移出日期", null=True, blank=True)
    removal_reason = models.CharField("移出事由", max_length=200, blank=True)

    class Meta:
        ordering = ["-listed_on"]
        verbose_name = verbose_name_plural = "活动异常名录"
        constraints = [models.UniqueConstraint(fields=["organisation", "year_missed"],
                                               name="one_listing_per_org_year")]

    def __str__(self):
        return f"{self.organisation} {self.year_missed}年度未年检"


class SupervisingUnitAccount(models.Model):
    """Which supervising unit (业务主管单位, as named on ``SocialOrganisation``) a user with the
    ``org_supervisor`` role works for: it sees the spot-check results of the organisations it
    supervises, and no others."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="supervising_units")
    supervising_unit = models.CharField("业务主管单位", max_length=100)

    class Meta:
        verbose_name = verbose_name_plural = "业务主管单位账号"
        constraints = [models.UniqueConstraint(fields=["user", "supervising_unit"],
                                               name="one_supervising_unit_link")]

    def __str__(self):
        return f"{self.user} · {self.supervising_unit}"


class SpotCheckDraw(models.Model):
    """The year's spot-check draw. The seed and the population are in the engine's audit
    entry too, so anyone can re-run the draw and get the same organisations."""

    campaign = models.OneToOneField(InspectionCampaign, on_delete=models.PROTECT,
                                    related_name="spot_check_draw")
    seed = models.CharField(max_length=100)
    seed_sha256 = models.CharField(max_length=64, blank=True)
    population_sha256 = models.CharField(max_length=64, blank=True)
    population_size = models.PositiveIntegerField(default=0)
    ratio = models.DecimalField(max_digits=4, decimal_places=3)
    organisations = models.ManyToManyField(SocialOrganisation, related_name="+")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "抽查抽取"
