"""Portal data: what an applicant told us when registering.

The applicant's name lives on the user (``first_name`` holds the full Chinese name, as in the
demo seed); the username is the phone number.
"""
from django.conf import settings
from django.db import models

from workflows.common.fields import validate_id_number


class ApplicantProfile(models.Model):
    """The identity an applicant registered with; pre-fills their application forms."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="applicant_profile")
    # One account per resident: the ID number is unique.
    id_number = models.CharField("身份证号码", max_length=18, unique=True,
                                 validators=[validate_id_number])
    phone = models.CharField("联系电话", max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "申请人资料"
        verbose_name_plural = "申请人资料"

    def __str__(self):
        return f"{self.user.get_full_name() or self.user.username}（{self.phone}）"
