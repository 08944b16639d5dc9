"""Data of the elderly-home adaptation programme that the county edits without a developer:
the catalogue of adaptation items an assessor picks from (一户一案)."""
from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models


class ItemCategory(models.TextChoices):
    BASIC = "basic", "基础类（政府补贴）"
    OPTIONAL = "optional", "可选类（家庭自费）"


class AdaptationItem(models.Model):
    """One entry of the county's adaptation catalogue (grab bars, anti-slip floor...).

    Plans copy the name, unit and price at assessment time, so editing the catalogue later
    never changes a plan already made."""

    code = models.CharField(
        "编码", max_length=40, unique=True,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$", "编码只能包含小写字母、数字和下划线，"
                                                        "并以字母开头")],
        help_text="稳定的英文编码，方案中引用，如 grab_bar")
    name = models.CharField("项目名称", max_length=60)
    unit = models.CharField("计量单位", max_length=10, help_text="如：个、米、平方米、套")
    unit_price = models.DecimalField("单价（元）", max_digits=10, decimal_places=2,
                                     validators=[MinValueValidator(Decimal("0.01"))])
    category = models.CharField("类别", max_length=10, choices=ItemCategory.choices,
                                default=ItemCategory.BASIC)
    description = models.CharField("说明", max_length=200, blank=True)
    active = models.BooleanField("在用", default=True,
                                 help_text="停用的项目不再出现在评估表中")
    sort_order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name = "适老化改造项目"
        verbose_name_plural = "适老化改造项目目录"

    def __str__(self):
        return f"{self.name}（{self.get_category_display()}）"
