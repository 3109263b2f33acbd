"""面授班 fixtures: this year's classes in 南京 and 苏州, signed-in clients for learners and city offices."""

import pytest
from django.test import Client

from conftest import make_catalog, staff_client
from jxjy.facetoface.services import current_year

from .helpers import UNIT, make_class


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def year():
    return current_year()


@pytest.fixture
def online(db, year):
    """网络班 of last year and this year ({(year, grade): class}), open for enrollment."""
    return make_catalog(years=(year - 1, year))


@pytest.fixture
def nanjing_class(db, online):
    return make_class("320100", title="南京市工勤人员面授班（第一期）", capacity=30)


@pytest.fixture
def suzhou_class(db, online):
    return make_class("320500", title="苏州市工勤人员面授班（第一期）", capacity=30)


@pytest.fixture
def learner(alice):
    alice.work_unit = UNIT
    alice.save(update_fields=["work_unit"])
    return client_for(alice)


@pytest.fixture
def nanjing_office(nanjing_reviewer):
    return staff_client(nanjing_reviewer)


@pytest.fixture
def suzhou_office(suzhou_reviewer):
    return staff_client(suzhou_reviewer)


@pytest.fixture
def province(province_admin):
    return staff_client(province_admin)
