"""settings.env_bool: the accepted words in any case, unset means the default, and anything else is refused by name
(before, a typo such as SECURE_SSL_REDIRECT=flase read as False and quietly switched HTTPS redirects off)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from jxjy.settings import env_bool

NAME = "JXJY_TEST_FLAG"


@pytest.fixture(autouse=True)
def clean(monkeypatch):
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv(f"{NAME}_FILE", raising=False)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", " yes ", "On"])
def test_true_words(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, False) is True


@pytest.mark.parametrize("value", ["0", "false", "False", " no", "OFF"])
def test_false_words(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, True) is False


@pytest.mark.parametrize("value", [None, "", "  "])
@pytest.mark.parametrize("default", [True, False])
def test_unset_or_empty_is_the_default(monkeypatch, value, default):
    if value is not None:
        monkeypatch.setenv(NAME, value)
    assert env_bool(NAME, default) is default


@pytest.mark.parametrize("value", ["ture", "flase", "2", "y", "enabled", "是"])
def test_an_unknown_value_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv(NAME, value)
    with pytest.raises(ImproperlyConfigured) as info:
        env_bool(NAME, False)
    message = str(info.value)
    assert NAME in message
    assert all(word in message for word in ("1", "true", "yes", "on", "0", "false", "no", "off")), message


def test_a_value_from_a_file_is_checked_too(monkeypatch, tmp_path):
    path = tmp_path / "flag"
    path.write_text("maybe\n")
    monkeypatch.setenv(f"{NAME}_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match=NAME):
        env_bool(NAME, True)
    path.write_text("off\n")
    assert env_bool(NAME, True) is False
