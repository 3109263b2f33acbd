"""Bad input is never a 500 (issue 13, item 5): every URL pattern, walked from `get_resolver()`, is tried with POST
by an anonymous visitor, a learner and each staff role (signed in past the second factor, and one only past the
password for the sign-in steps); every pattern someone reaches with POST gets hostile bodies — 100k-character
strings, NUL bytes, lone surrogates, bytes that are not UTF-8, numbers out of every range, lists for scalars,
missing fields, JSON to forms, forms to JSON, the wrong content type, a charset nobody knows, 6 MB — from a fixed
corpus and from Hypothesis (derandomized, a few examples each), then GET and POST with hostile path arguments and
query strings. A pattern every visitor who reaches it is told 405 takes no POST: it gets the hostile GETs only.

Every answer must be below 500 (the test client is told not to raise, so a crash is counted, not thrown), and a
refused form or request says what is wrong in Chinese. A pattern nobody reaches fails the walk unless NOT_REACHED
gives the reason, so a new POST view is fuzzed the day it is added."""

import json
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import make_staff, staff_client
from jxjy.accounts.models import Role, User
from jxjy.office.tests.test_every_url import foreign_value, patterns, url_for

from . import hostile

pytestmark = [pytest.mark.django_db]

# Staff roles, least privileged first: each office pattern is fuzzed by the first role that reaches it.
STAFF_ROLES = [Role.CITY, Role.FINANCE, Role.CONTENT, Role.AUDITOR, Role.SECURITY, Role.SYSTEM, Role.PROVINCE]
PASSWORD_ONLY = "staff:password-only"  # 绑定动态码: past the password, no authenticator yet
SECOND_FACTOR = "staff:second-factor"  # 输入动态码: past the password, an authenticator to type the code of
# Where a refusal sends a visitor: the sign-in pages, the second factor, the back office's home (a staff account on
# a learner page), 补全手机号.
REFUSAL_PATHS = {"/login/", "/office/login/", "/office/", "/office/otp/enrol/", "/office/otp/verify/",
                 "/office/password/", "/account/mobile/"}  # fmt: skip
# Patterns the walk does not reach with POST, each with the reason. Nothing else may be missing.
NOT_REACHED = {
    "office:logout": "退出登录 reads nothing and sends everyone to the sign-in page, which is how a refusal looks",
}
# Answers for a machine, not a person: a payment gateway's notification gets exactly the reply its gateway expects.
MACHINE_REPLIES = {"payments:notify"}
HYPOTHESIS_EXAMPLES = 3
SIX_MB = b"a=" + b"x" * (6 * 1024 * 1024)


class Fuzz:
    """Sends requests, counts answers, keeps every 5xx and every error message not in Chinese."""

    def __init__(self):
        self.sent = 0
        self.by_class = Counter()
        self.errors = []
        self.english = []
        self.seconds = defaultdict(float)

    def send(self, client, method, url, name, what, *, content_type=None, body=b""):
        started = time.monotonic()
        # Each request in its own savepoint: a crash's failed query must not poison the test's transaction (on
        # PostgreSQL every later query would fail), as it would not poison the next request in production.
        with transaction.atomic():
            if method == "get":
                response = client.get(url)
            elif content_type:
                response = client.generic("POST", url, body, content_type=content_type)
            else:
                response = client.post(url)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        self.seconds[name] += time.monotonic() - started
        self.sent += 1
        status = response.status_code
        self.by_class[f"{status // 100}xx"] += 1
        if status >= 500:
            exc = getattr(response, "exc_info", None)
            error = repr(exc[1])[:200] if exc else ""
            self.errors.append(f"{status} {method.upper()} {name} {url[:100]} [{what}] {error}")
        elif name not in MACHINE_REPLIES:
            self.english += [f"{method.upper()} {name} [{what}]: {m[:160]}" for m in hostile.english_errors(response)]
        return response

    def report(self):
        return "\n".join(["5xx:", *self.errors, "not in Chinese:", *self.english[:60]])


def refused(response) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code in (301, 302, 303):
        return urlsplit(response["Location"]).path in REFUSAL_PATHS
    return False


@pytest.fixture
def personas(world, settings, monkeypatch):
    """Each persona's user (None: anonymous); the learner is bob, who owns every object the URLs name."""
    # What the walk's bare objects lack to be shown: the courseware's video file, the certificate's words.
    (settings.MEDIA_ROOT / "coursewares").mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / world["courseware"].video.name).write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    certificate = world["certificate"]
    certificate.content = {"v": 1, "number": certificate.number, "name": "李*", "id_number": "3205**********234*",
                           "unit": "", "year": 2026, "hours": {"public": "16", "professional": "24", "elective": "8"},
                           "total": "48", "result": "合格",
                           "issued": timezone.localdate(certificate.issued_at).isoformat()}  # fmt: skip
    certificate.save(update_fields=["content"])
    # Every refused request is audited: the audit export would otherwise grow with the fuzz itself.
    monkeypatch.setattr("jxjy.office.views.audit.AUDIT_EXPORT_LIMIT", 200)
    users = {"anonymous": None, "learner": world["bob"]}
    for role in STAFF_ROLES:
        users[f"staff:{role}"] = make_staff(f"fuzz-{role}", role, "320500" if role == Role.CITY else None)
    # The sign-in steps (绑定动态码, 输入动态码) are for staff past the password, before the second factor.
    users[PASSWORD_ONLY] = make_staff("fuzz-password-only", Role.PROVINCE)
    users[SECOND_FACTOR] = make_staff("fuzz-second-factor", Role.PROVINCE)
    TOTPDevice.objects.create(user=users[SECOND_FACTOR], name="动态码", confirmed=True)
    return users


def signed_in(personas, persona):
    """A fresh client (a fuzzed page may end sessions or change a password: each pattern starts anew)."""
    user = personas[persona]
    if user is not None and persona.startswith("staff:") and persona not in (PASSWORD_ONLY, SECOND_FACTOR):
        client = staff_client(user)
    else:
        client = Client()
        if user is not None:
            client.force_login(user)
    client.raise_request_exception = False
    return client


def candidates(url, personas):
    if url.startswith("/office/"):
        return ["anonymous", *[p for p in personas if p.startswith("staff:")]]
    return ["anonymous", "learner"]


def classify(fuzz, url, name, personas):
    """(the persona to fuzz with, or None when nobody gets past the door with POST; whether someone got past it and
    was told 405; whether the answer to an empty POST is a file download)."""
    answers = {
        p: fuzz.send(signed_in(personas, p), "post", url, name, f"empty POST as {p}") for p in candidates(url, personas)
    }
    reached = [p for p, response in answers.items() if not refused(response)]
    not_405 = [p for p in reached if answers[p].status_code != 405]
    best = [p for p in not_405 if answers[p].status_code != 404] or not_405
    if not best:
        return None, len(not_405) < len(reached), False
    return best[0], False, answers[best[0]].has_header("Content-Disposition")


def fuzz_download(fuzz, client, url, name, fields):
    """A file (PDF, Excel, video) that a POST gets just as a GET does: it reads no body, so a few bodies do."""
    form = "application/x-www-form-urlencoded"
    for value in [*hostile.REFUSED, hostile.LONG, "9223372036854775808"]:
        body = hostile.form_body((f, value) for f in fields)
        fuzz.send(client, "post", url, name, f"every field = {value[:12]!r}", content_type=form, body=body)
    fuzz.send(client, "post", url, name, "JSON", content_type="application/json", body=b'{"a": "\\u0000"}')
    fuzz.send(client, "post", url, name, "6 MB form", content_type=form, body=SIX_MB)


def rotated(fields, values, i):
    """Request i of a corpus: field j gets values[(i + j) % n], so every field meets every value in n requests."""
    return [(field, values[(i + j) % len(values)]) for j, field in enumerate(fields)]


def fuzz_post(fuzz, client, url, name, fields, reads_json):
    """The fixed corpus, the wrong bodies, 6 MB, and Hypothesis's draws, all as POST to `url`."""
    form = "application/x-www-form-urlencoded"
    for value in hostile.REFUSED:
        body = hostile.form_body((f, value) for f in fields)
        fuzz.send(client, "post", url, name, f"every field = {value!r}", content_type=form, body=body)
    for i in range(len(hostile.TEXT)):
        body = hostile.form_body(rotated(fields, hostile.TEXT, i))
        fuzz.send(client, "post", url, name, f"corpus #{i}", content_type=form, body=body)
    lists = hostile.form_body((f, ["1", "-1", "2147483648"]) for f in fields)
    fuzz.send(client, "post", url, name, "every field repeated", content_type=form, body=lists)
    json_values = hostile.JSON_VALUES if reads_json else hostile.JSON_VALUES[-3:]
    for i in range(len(json_values)):
        body = hostile.json_body(rotated(fields, json_values, i))
        fuzz.send(client, "post", url, name, f"JSON #{i}", content_type="application/json", body=body)
    for content_type, body in hostile.WRONG_BODIES:
        fuzz.send(client, "post", url, name, f"{content_type} {body[:16]!r}", content_type=content_type, body=body)
    for value in ("\x00", "abc"):
        content_type, body = hostile.multipart_body(fields, value)
        fuzz.send(client, "post", url, name, f"multipart every field = {value!r}", content_type=content_type,
                  body=body)  # fmt: skip
    fuzz.send(client, "post", url, name, "6 MB form", content_type=form, body=SIX_MB)

    @settings(derandomize=True, max_examples=HYPOTHESIS_EXAMPLES, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(values=st.dictionaries(st.sampled_from(fields), hostile.FIELD_VALUE, max_size=len(fields)),
           as_json=st.booleans())  # fmt: skip
    def drawn(values, as_json):
        if as_json:
            body = json.dumps({k: _text(v) for k, v in values.items()}).encode("utf-8", "surrogatepass")
            fuzz.send(client, "post", url, name, "Hypothesis JSON", content_type="application/json", body=body)
        else:
            body = hostile.form_body(values.items())
            fuzz.send(client, "post", url, name, "Hypothesis form", content_type=form, body=body)

    drawn()


def fuzz_query(fuzz, client, url, name, keys):
    for i in range(len(hostile.QUERY_VALUES)):
        query = "&".join(f"{key}={value}" for key, value in rotated(keys, hostile.QUERY_VALUES, i))
        fuzz.send(client, "get", f"{url}?{query}", name, f"query #{i}")


def _text(value):
    """A drawn value as JSON can carry it: raw bytes as the lone surrogates Python reads them as."""
    if isinstance(value, list):
        return [_text(item) for item in value]
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def hostile_urls(name, item, prefix, args, good):
    """The pattern's URL with each argument in turn replaced by a hostile value (as it would appear in a URL)."""
    converters = getattr(item.pattern, "converters", {})
    for arg in args:
        kind = "int" if type(converters.get(arg)).__name__ == "IntConverter" else "str"
        placeholder = 987654321 if kind == "int" else "FUZZPLACEHOLDER"
        try:
            template = url_for(name, item, prefix, {**good, arg: placeholder})
        except NoReverseMatch:
            continue
        for value in hostile.PATH_VALUES[kind]:
            yield f"{arg}={value[:12]}", template.replace(str(placeholder), value, 1)


def test_no_hostile_input_to_any_view_answers_500(world, personas, capsys):
    started = time.monotonic()
    fuzz = Fuzz()
    bob = world["bob"]
    as_found = User.objects.filter(pk=bob.pk).values().get()
    walked = []
    for name, item, prefix, args in patterns():
        if (name or "").startswith("admin:") or prefix.startswith(("admin/", "^admin/")):
            continue  # the Django admin: Django's own code, open to two roles only
        good = {arg: foreign_value(name, arg, world)[0] for arg in args}
        url = url_for(name, item, prefix, good)
        walked.append((name or url, url, item, prefix, args))
    # The learner's pages first: the back office's pages act on bob's account (reset, close) and come last.
    walked.sort(key=lambda row: row[1].startswith("/office/"))
    covered, not_post, missing = set(), set(), []
    for name, url, item, prefix, args in walked:
        User.objects.filter(pk=bob.pk).update(**as_found)  # whatever the last page did to bob's account
        persona, said_405, download = classify(fuzz, url, name, personas)
        good = {arg: foreign_value(name, arg, world)[0] for arg in args}
        if persona is None:
            if not said_405:
                if name not in NOT_REACHED:
                    missing.append(f"{name} {url}")
                continue
            not_post.add(name)  # takes no POST: the hostile GETs only, by whoever was let in
            persona = next(
                p for p in candidates(url, personas)
                if not refused(fuzz.send(signed_in(personas, p), "get", url, name, f"GET as {p}"))
            )  # fmt: skip
        client = signed_in(personas, persona)
        page = fuzz.send(client, "get", url, name, "the page, for its fields")
        view = item.callback
        fields = sorted(hostile.fields_from_page(page) | hostile.fields_from_source(view) | hostile.ALWAYS)
        if name not in not_post:
            if download:
                fuzz_download(fuzz, client, url, name, fields)
            else:
                fuzz_post(fuzz, client, url, name, fields, hostile.reads_json(view))
            covered.add(name)
        fuzz_query(fuzz, signed_in(personas, persona), url, name, fields)
        for what, bad_url in hostile_urls(name, item, prefix, args, good):
            fuzz.send(client, "get", bad_url, name, what)
            if name not in not_post:
                fuzz.send(client, "post", bad_url, name, what)

    names = {row[0] for row in walked}
    uncovered = names - covered - not_post - set(NOT_REACHED)
    slowest = sorted(fuzz.seconds.items(), key=lambda pair: -pair[1])[:5]
    with capsys.disabled():
        print(
            f"\nfuzz: {len(names)} URL patterns: {len(covered)} POST views fuzzed, {len(not_post)} take no POST "
            f"(GET fuzzed), {len(NOT_REACHED)} excluded; {fuzz.sent} requests in {time.monotonic() - started:.0f} s; "
            f"answers {dict(sorted(fuzz.by_class.items()))}; {len(fuzz.errors)} × 5xx, "
            f"{len(fuzz.english)} not in Chinese; slowest {[(n, round(s, 1)) for n, s in slowest]}"
        )
        if fuzz.errors or fuzz.english:
            print(fuzz.report())
    assert not missing, f"patterns nobody reaches with POST and not listed in NOT_REACHED: {missing}"
    assert not uncovered, uncovered
    assert not fuzz.errors, fuzz.report()
    assert not fuzz.english, fuzz.report()
