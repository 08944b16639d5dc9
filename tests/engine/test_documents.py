"""Issued documents: PDF rendering of real decisions and refusals, the seal, the QR code, the
uppercase amount, and the public verification page."""
import hashlib
import logging
import shutil
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from engine import documents
from engine.documents import (
    amount_in_figures,
    amount_in_words,
    date_in_chinese,
    document_checksum,
    document_render,
    document_verify_url,
    mask_person_name,
)
from engine.models import Document, DocumentStatus
from engine.seal import seal_png
from engine.services import timers_fire_due
from tests.workflows.temporary_relief.helpers import VALID_ID, complete, file_application

SHANGHAI = ZoneInfo("Asia/Shanghai")
FILED_AT = datetime(2026, 3, 16, 9, 0, tzinfo=SHANGHAI)  # a Monday
APPEAL_WUCHENG = ("如不服本决定，可以自收到之日起六十日内向婺城区人民政府申请行政复议，"
                  "或者在六个月内向婺城区人民法院提起行政诉讼。")


# ---------------------------------------------------------------------------------------------
# Walking real cases


@pytest.fixture
def decision(demo, applicant, village, village_staff, township_staff, township_leader,
             django_capture_on_commit_callbacks):
    """A 2,500-yuan grant decided by the township: accept → investigate → review → 7-day
    public notice (timer) → notice result → township decision."""
    with time_machine.travel(FILED_AT, tick=False) as traveller:
        case = file_application(user=applicant, village=village)
        complete(case, township_staff, "accept", acceptance="accept")
        complete(case, village_staff, "investigate", visit_date="2026-03-17",
                 investigator_1="王敏", investigator_2="陈刚",
                 household_findings="户主住院，家中无其他收入", proposed_amount="2500",
                 village_opinion="情况属实，同意上报")
        complete(case, township_staff, "township_review", economic_check="eligible",
                 amount="2500", recommendation="grant", review_opinion="符合条件，拟救助")
        traveller.shift(timedelta(days=8))
        assert timers_fire_due() == 1
        case.refresh_from_db()
        complete(case, township_staff, "notice_result", objection="no")
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_leader, "township_decide", decision="approve",
                     approved_amount="2500", payment_method="bank",
                     decision_opinion="同意救助")
    return Document.objects.get(case=case)


@pytest.fixture
def refusal(demo, applicant, village, township_staff, django_capture_on_commit_callbacks):
    """An application refused at the window (不予受理) with a written reason."""
    with time_machine.travel(FILED_AT, tick=False):
        case = file_application(user=applicant, village=village)
        with django_capture_on_commit_callbacks(execute=True):
            complete(case, township_staff, "accept", acceptance="reject",
                     refusal_reason="家庭月收入高于当地临时救助认定标准")
    return Document.objects.get(case=case)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdf_info(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
