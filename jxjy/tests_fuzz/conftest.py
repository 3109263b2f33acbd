"""The walk's world (bob of 苏州 with one of everything a learner can own) comes from the every-URL test."""

from jxjy.office.tests.test_every_url import world  # noqa: F401 - a fixture, used by this package's tests
