"""Writes of the portal: applicant self-registration. Everything about cases and tasks is
written by ``workflows.services`` / ``engine.services``."""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import ApplicantProfile


@transaction.atomic
def applicant_register(*, full_name: str, id_number: str, phone: str, password: str):
    """Create an applicant account: the username is the phone number, the profile keeps the
    ID number. Raises ``ValidationError`` (Chinese) when the phone or ID number is taken."""
    user_model = get_user_model()
    # The unique constraints are the real guard (two registrations racing); these checks
    # only give the usual case a clear message.
    if user_model.objects.filter(username=phone).exists():
        raise ValidationError({"phone": "该手机号码已注册，请直接登录"})
    if ApplicantProfile.objects.filter(id_number=id_number).exists():
        raise ValidationError({"id_number": "该身份证号码已注册账号，请使用原手机号码登录"})
    user = user_model(username=phone, first_name=full_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    try:
        with transaction.atomic():
            user.save()
            profile = ApplicantProfile(user=user, id_number=id_number, phone=phone)
            profile.full_clean()
            profile.save()
    except IntegrityError:
        raise ValidationError({"phone": "该手机号码或身份证号码已注册，请直接登录"}) from None
    return user
