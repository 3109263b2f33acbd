"""The project's zh_Hans catalogue (jxjy/locale, first in LOCALE_PATHS): the compiled .mo says what the .po says,
it wins over Django's and django-simple-captcha's catalogues, and no stock message a form can show is left in
unplain words — the stock messages are enumerated from Django's own classes, so an upgrade that adds one is caught."""

import inspect
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import password_validation
from django.core import validators
from django.db.models import fields as model_fields
from django.db.models.fields import files as model_files
from django.db.models.fields import json as model_json
from django.forms import fields as form_fields
from django.forms import models as form_models
from django.utils import translation

PO = Path(settings.BASE_DIR) / "jxjy" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
FORBIDDEN = ("这个字段", "有效的选项", "输入一个", "确保", "---------")
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]{2,}){2,}")  # three words in a row: a sentence, not a web address


def _text(line: str) -> str:
    """The string of one quoted .po line."""
    return line[line.index('"') + 1 : line.rindex('"')].replace('\\"', '"').replace("\\n", "\n")


def po_entries(path=PO) -> list[dict]:
    """Each entry of a .po file: {"msgid": …, "msgid_plural": …, "msgstr": …, "msgstr[0]": …} (header left out)."""
    entries, entry, key = [], {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if entry.get("msgid"):
                entries.append(entry)
            entry, key = ({}, None) if not line else (entry, key)
            continue
        if line.startswith('"'):
            entry[key] += _text(line)
        else:
            key = line.split(" ", 1)[0]
            entry[key] = _text(line)
    return entries


def test_the_catalogue_has_entries():
    assert len(po_entries()) > 60


@pytest.mark.parametrize("entry", po_entries(), ids=lambda e: e["msgid"][:40])
def test_the_compiled_catalogue_says_what_the_po_says(entry):
    """Fails when django.po was edited without `msgfmt -o django.mo django.po`, or when another catalogue wins."""
    with translation.override("zh-hans"):
        if "msgid_plural" in entry:
            for n in (1, 2):
                assert translation.ngettext(entry["msgid"], entry["msgid_plural"], n) == entry["msgstr[0]"]
        else:
            assert translation.gettext(entry["msgid"]) == entry["msgstr"]


@pytest.mark.parametrize("entry", po_entries(), ids=lambda e: e["msgid"][:40])
def test_every_translation_is_plain(entry):
    text = entry.get("msgstr") or entry.get("msgstr[0]")
    assert text and not any(bad in text for bad in FORBIDDEN) and not ENGLISH.search(text), text


def stock_messages() -> dict:
    """{where: message} for every error message Django's form fields, model fields, validators and password
    validators come with."""
    found = {}
    for module in (form_fields, form_models, model_fields, model_files, model_json):
        for name, cls in vars(module).items():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                for key, message in vars(cls).get("default_error_messages", {}).items():
                    found[f"{name}.{key}"] = message
    for name, cls in vars(validators).items():
        if inspect.isclass(cls) and "message" in vars(cls):
            found[name] = cls.message
    found.update({f"DecimalValidator.{key}": m for key, m in validators.DecimalValidator.messages.items()})
    found["MaxLengthValidator"] = validators.MaxLengthValidator(1).message
    found["MinLengthValidator"] = validators.MinLengthValidator(1).message
    for name, cls in vars(password_validation).items():
        if inspect.isclass(cls) and name.endswith("Validator") and hasattr(cls, "get_error_message"):
            try:
                found[name] = cls().get_error_message()
            except TypeError:
                found[name] = (
                    cls(min_length=8).get_error_message() if "min_length" in str(inspect.signature(cls)) else ""
                )
    return {where: message for where, message in found.items() if str(message)}


def test_no_stock_message_is_left_unplain():
    with translation.override("zh-hans"):
        stock = stock_messages()
        assert len(stock) > 40
        unplain = {
            where: str(message)
            for where, message in stock.items()
            if any(bad in str(message) for bad in FORBIDDEN) or ENGLISH.search(str(message))
        }
    # ManagementForm and inline formsets are the back office's (Django admin); no learner page has a formset.
    unplain = {where: m for where, m in unplain.items() if not where.startswith(("BaseFormSet", "InlineForeign"))}
    assert not unplain, unplain


def test_the_captcha_and_password_messages_learners_met():
    with translation.override("zh-hans"):
        assert translation.gettext("This field is required.") == "请填写这一项。"  # was 「这个字段是必须的」
        assert translation.gettext("Invalid CAPTCHA") == "图形验证码不对，请看清后重新输入。"
        with pytest.raises(Exception) as refused:
            password_validation.CommonPasswordValidator().validate("password")
        assert refused.value.messages == ["这个密码太简单，容易被别人猜到，请换一个。"]
