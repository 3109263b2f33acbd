"""A learner with a paid 2026 class, and the same learner with the year 合格."""

import pytest

from .helpers import UNIT, enroll, give_hours, sit_exam


@pytest.fixture
def enrolled(alice, catalog):
    """alice (工作单位 set) in the 2026 中级工 class (16 / 24 / 8 学时, 60 分合格), nothing earned yet."""
    alice.work_unit = UNIT
    alice.save(update_fields=["work_unit"])
    return enroll(alice, catalog[(2026, "L4")])


@pytest.fixture
def qualified(enrolled):
    """The 2026 year 合格: every category met online, the exam passed with 85."""
    give_hours(enrolled.user, public=16, professional=24, elective=8)
    sit_exam(enrolled, 85)
    return enrolled


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client
