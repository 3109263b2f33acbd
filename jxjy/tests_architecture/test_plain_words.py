"""Plain words on every learner form (issue 15, item 4), found by walking the URLs, not listed by hand.

Every URL pattern outside the back office and the Django admin, walked from `get_resolver()` with bob's objects in
its arguments (the every-URL test's `world`), is opened by an anonymous visitor, by bob (who owns one of
everything) and by alice (who owns nothing, so sees the forms bob's state hides). Every `<form method="post">` on
every page is submitted through the test client three times — empty; with bad values (letters in number and date
fields, a value not in the list, text longer than the field takes, a file that is not a picture); and as the page
filled it in, which leads the walk on to pages only a form reaches (预报名清单 → 提交订单). The walk fails when any
message or page text a person reads contains 这个字段 / 有效的选项 / 输入一个 / 确保 / --------- or an error is an
English sentence, or when a 「required」 error does not name its field.

Each submission runs in a savepoint rolled back afterwards, with a fresh client and a cleared cache, so even a form
whose submission cannot be undone in real life (退出登录, 取消订单, 注销账号) is tried and leaves nothing behind: no
form is skipped."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django import forms
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client

from jxjy.accounts.models import User
from jxjy.office.tests.test_every_url import foreign_value, patterns, url_for, world  # noqa: F401 - world: a fixture

pytestmark = [pytest.mark.django_db]

FORBIDDEN = ("这个字段", "有效的选项", "输入一个", "确保", "---------")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?:[ ,'’]+[A-Za-z]{2,}){2,}")  # three words in a row, not a web address
NOT_LEARNER_PAGES = ("/office/", "/admin/", "/captcha/", "/dev/")
# A value no list offers, and a file that is no picture or spreadsheet.
NOT_IN_LIST = "不在列表里-999"
TOO_LONG_DEFAULT = 5000
# The forms people fill in most: the walk must reach them (a walk that finds nothing proves nothing).
MUST_REACH = (
    "/login/",
    "/register/",
    "/password/reset/",
    "/account/settings/",
    "/account/settings/password/",
    "/account/settings/addresses/new/",
    "/account/settings/closure/",
    "/declarations/new/",
    "/checkout/",
    "/unit-enrollment/",
)


class FormsOnPage(HTMLParser):
    """The POST forms of a page: action, and each control (tag, type, name, value, checked, maxlength, options)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.current, self.select = [], None, None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.current = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "controls": []}
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag in ("input", "textarea", "button") and a.get("name"):
            kind = a.get("type", "submit" if tag == "button" else "text").lower()
            self.current["controls"].append({"tag": tag, "type": "textarea" if tag == "textarea" else kind, **a})
        elif tag == "select" and a.get("name"):
            self.select = {"tag": "select", "type": "select", "options": [], **a}
            self.current["controls"].append(self.select)
        elif tag == "option" and self.select is not None:
            self.select["options"].append(a.get("value", ""))
            if "selected" in a or len(self.select["options"]) == 1:
                self.select["value"] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None


class VisibleText(HTMLParser):
    """What a person reads on the page: text outside <script> and <style>, option labels included."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        self.hidden += tag in ("script", "style", "template")

    def handle_endtag(self, tag):
        self.hidden -= tag in ("script", "style", "template") and self.hidden > 0

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def post_forms(html: str) -> list[dict]:
    parser = FormsOnPage()
    parser.feed(html)
    return [form for form in parser.forms if form["method"] == "post"]


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def form_key(form) -> tuple:
    return form["action"], tuple(sorted(c["name"] for c in form["controls"]))


def filled(form, how: str) -> dict:
    """The body a person would send: hidden values as the page gave them, the first named button, and each field
    as the page filled it in (`how` "given"), left empty ("empty") or given a value it cannot take ("bad")."""
    data, button, bad = {}, None, how == "bad"
    for control in form["controls"]:
        kind, name = control["type"], control["name"]
        if kind == "hidden" or how == "given" and kind not in ("submit", "image", "checkbox", "radio", "file"):
            data[name] = control.get("value", "")
        elif how == "given" and kind in ("checkbox", "radio"):
            if "checked" in control:
                data.setdefault(name, []).append(control.get("value", "on"))
        elif kind in ("submit", "image"):
            button = button or (name, control.get("value", ""))
        elif kind in ("checkbox", "radio"):
            if bad and kind == "radio":
                data[name] = NOT_IN_LIST
        elif kind == "select":
            data[name] = NOT_IN_LIST if bad else ""
        elif kind == "file":
            if bad:
                data[name] = SimpleUploadedFile("名单.jpg", b"this is no picture", content_type="image/jpeg")
        elif not bad:
            data[name] = ""
        elif kind in ("number", "date", "datetime-local", "time", "month", "email", "tel"):
            data[name] = "abc"
        else:
            longest = int(control.get("maxlength") or TOO_LONG_DEFAULT - 1)
            data[name] = "长" * (longest + 1)
    if button:
        data.setdefault(*button)
    return data


def label_names(label: str) -> set[str]:
    """How a message may name a field: its label, the label's leading phrase (a long 我已了解：… checkbox) or a
    document the label refers to (《个人信息保护说明》)."""
    return {label, re.split(r"[：，。（(]", label)[0], *re.findall(r"《[^》]+》", label)} - {""}


def bound_forms(response):
    seen = []
    for context in response.context or []:
        try:
            values = context.flatten().values()
        except (AttributeError, TypeError, ValueError):
            continue
        seen += [v for v in values if isinstance(v, forms.BaseForm) and v.is_bound and all(v is not s for s in seen)]
    return seen


def json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)


def problems_in(response, where: str, *, empty: bool) -> list[str]:
    """Every message of the answer that is not plain Chinese, and every required-field error not naming its field."""
    found, messages = [], []
    for form in bound_forms(response):
        for name, errors in form.errors.as_data().items():
            field = form.fields.get(name)
            for error in errors:
                for message in error.messages:
                    messages.append(message)
                    if empty and error.code == "required" and field is not None:
                        if isinstance(field, forms.FileField):
                            continue  # 「请选择要上传的文件。」: the file box, under its own label, is the only one
                        if not any(n in message for n in label_names(str(field.label or name))):
                            found.append(f"{where}: 「{message}」 does not name 「{field.label or name}」")
    content_type = response.get("Content-Type", "")
    if "json" in content_type:
        try:
            messages += list(json_strings(json.loads(response.content)))
        except ValueError:
            found.append(f"{where}: not JSON: {response.content[:80]!r}")
    elif "html" in content_type:
        text = visible_text(response.content.decode())
        found += [f"{where}: page shows 「{bad}」 in …{_around(text, bad)}…" for bad in FORBIDDEN if bad in text]
    for message in messages:
        found += [f"{where}: 「{message}」 contains 「{bad}」" for bad in FORBIDDEN if bad in message]
        if ENGLISH_SENTENCE.search(message):
            found.append(f"{where}: 「{message}」 is English")
    return found


def _around(text, fragment, width=40):
    at = text.index(fragment)
    return text[max(0, at - width) : at + len(fragment) + width]


def client_for(user):
    cache.clear()  # rate limits and lockouts counted by earlier submissions
    client = Client()
    client.raise_request_exception = False
    if user is not None:
        client.force_login(user)
    return client


def argument(name, arg, w):
    """bob's object for the argument; a pattern the every-URL test has not classified yet (its own test says so)
    gets 1, which opens whatever has that id or a 404 without forms."""
    try:
        return foreign_value(name, arg, w)[0]
    except AssertionError:
        return 1


def learner_urls(w) -> list[str]:
    urls = []
    for name, item, prefix, args in patterns():
        if ("/" + prefix.lstrip("^")).startswith(NOT_LEARNER_PAGES):
            continue
        url = url_for(name, item, prefix, {arg: argument(name, arg, w) for arg in args})
        if not url.startswith(NOT_LEARNER_PAGES):
            urls.append(url)
    return urls


def submit(user, page_url, key, how: str) -> tuple[list[str], list[str]]:
    """Open the page afresh, submit its form `key` once, roll everything back: (problems, the page it led to)."""
    with transaction.atomic():
        client = client_for(user)
        page = client.get(page_url)
        form = next(f for f in post_forms(page.content.decode()) if form_key(f) == key)
        target = urljoin(page_url, form["action"] or page_url)
        response = client.post(target, filled(form, how), follow=True)
        transaction.set_rollback(True)
    assert response.status_code < 500, f"{target} answered {response.status_code}"
    where = f"{how} {target} (from {page_url}, as {user.name if user else 'a visitor'})"
    landed = [url for url, _ in response.redirect_chain[-1:]]
    return problems_in(response, where, empty=how == "empty"), landed


def open_page(user, url) -> str | None:
    with transaction.atomic():
        response = client_for(user).get(url)
        transaction.set_rollback(True)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return None
    return response.content.decode()


@pytest.fixture
def learner_world(request):
    """The every-URL test's world, with the certificate's words filled in so its pages render."""
    w = request.getfixturevalue("world")
    certificate = w["certificate"]
    certificate.content = {
        "v": 1,
        "number": certificate.number,
        "name": "李*",
        "id_number": "3205**********234*",
        "unit": "",
        "year": 2026,
        "hours": {"public": "16", "professional": "24", "elective": "8"},
        "total": "48",
        "result": "合格",
        "issued": certificate.issued_at.date().isoformat(),
    }
    certificate.save(update_fields=["content"])
    return w


def test_every_learner_form_speaks_plainly(learner_world, capsys):
    """Every page a visitor or bob opens from the URL patterns — and every page a form leads to (预报名清单 → 提交订单)
    — is read; each POST form on it is submitted empty, with bad values, and as the page filled it in (which is how
    the walk reaches the pages a form leads to)."""
    # bob owns one of everything (a class, an order, a declaration, a pending 注销 request); alice, with none of it,
    # still sees the forms bob's state hides (申请注销账号).
    people = (None, learner_world["bob"], User.objects.get(name="张伟"))
    queue = [(user, url) for user in people for url in learner_urls(learner_world)]
    visited, tried, targets, problems = set(), set(), set(), []
    while queue:
        user, url = queue.pop(0)
        if (user, url) in visited or urlsplit(url).path.startswith(NOT_LEARNER_PAGES):
            continue
        visited.add((user, url))
        html = open_page(user, url)
        if html is None:
            continue
        text = visible_text(html)
        problems += [f"GET {url}: shows 「{bad}」 in …{_around(text, bad)}…" for bad in FORBIDDEN if bad in text]
        for form in post_forms(html):
            target = urljoin(url, form["action"] or url)
            once = (user, target, form_key(form)[1])
            if urlsplit(target).netloc or not form["controls"] or once in tried:
                continue
            tried.add(once)
            targets.add(urlsplit(target).path)
            for how in ("empty", "bad", "given"):
                found, landed = submit(user, url, form_key(form), how)
                problems += found
                queue += [(user, page) for page in landed]
    with capsys.disabled():
        print(f"\nplain words: {len(visited)} pages opened, {len(tried)} POST forms submitted 3 ways each")
    for path in MUST_REACH:
        assert path in targets, f"the walk found no form posting to {path}"
    assert not problems, "\n".join(sorted(set(problems)))
