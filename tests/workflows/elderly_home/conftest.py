"""Fixtures of the elderly-home adaptation: the demo seed (quotas, catalogue, applicant_wang)
on top of the shared demo organisation, and the assessor and provider personas."""
import pytest
from django.contrib.auth import get_user_model

from workflows.elderly_home.demo import seed


@pytest.fixture
def seeded(demo):
    seed()
    return demo


def _user(username):
    return get_user_model().objects.get(username=username)


@pytest.fixture
def wang(seeded):
    """王秀英, 82, 特困, 罗店村: the demo's eligible elderly applicant."""
    return _user("applicant_wang")


@pytest.fixture
def assessor(seeded):
    return _user("wucheng_assessor")


@pytest.fixture
def provider(seeded):
    return _user("wucheng_provider")
