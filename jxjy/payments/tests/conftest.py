"""The payments tests' learner (alice, signed in) and her unpaid order for the 2026 中级工 class (¥120.00)."""

import pytest

from jxjy.orders.tests.helpers import place


@pytest.fixture
def learner(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def order(learner, catalog):
    return place(learner, catalog[(2026, "L4")])
