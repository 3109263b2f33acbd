"""Steps shared by the requirement tests: sign-ins through the real pages, and the production configuration run in
a separate process (the suite itself runs with the development defaults)."""

import base64
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from conftest import PASSWORD
from jxjy.accounts.tests.helpers import CAPTCHA

REPO = Path(settings.BASE_DIR)
ENV_EXAMPLE = REPO / "deploy" / "jxjy.env.example"
OFFICE_LOGIN = "/office/login/"


def learner_login(client, id_number, password=PASSWORD, captcha=CAPTCHA, **extra):
    data = {"id_number": id_number, "password": password, **(captcha or {}), **extra}
    return client.post(reverse("accounts:login"), data)


def staff_login(client, username, password=PASSWORD, captcha=CAPTCHA, **extra):
    data = {"username": username, "password": password, **(captcha or {}), **extra}
    return client.post(OFFICE_LOGIN, data)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Production configuration ------------------------------------------------------------------------------------


def production_env(tmp_path) -> dict:
    """The environment deploy/jxjy.env.example documents for production, with real secrets written to files (as
    the example's *_FILE lines say) and the machine-local paths pointed into `tmp_path`."""
    secret_dir = tmp_path / "secrets"
    secret_dir.mkdir(exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": base64.b64encode(os.urandom(32)).decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "CERTIFICATE_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
        "MOCKBANK_SECRET": secrets.token_urlsafe(32),
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DEBUG", "DEV_TOOLS"))}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if key.endswith("_FILE"):
            name = key[: -len("_FILE")]
            path = secret_dir / name.lower()
            path.write_text(values.get(name, secrets.token_urlsafe(32)))
            value = str(path)
        env[key] = value
    for name, value in values.items():
        if f"{name}_FILE" not in env:
            env.setdefault(name, value)
    env["VAR_DIR"] = str(tmp_path / "var")
    env["DJANGO_SETTINGS_MODULE"] = "jxjy.settings"
    env["PYTHONPATH"] = str(REPO)
    return env


PROBE = REPO / "jxjy" / "tests_security" / "production_probe.py"


def run_production_probe(tmp_path, *args, env=None) -> dict:
    """Run production_probe.py under the production environment; returns its JSON answer."""
    result = subprocess.run(
        [sys.executable, str(PROBE), *args],
        env=env or production_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Personal numbers in text -----------------------------------------------------------------------------------

# A value on its own: not part of a longer token of letters and digits (hashes, ciphertexts, order numbers such as
# JX20261201…), as a plaintext column, a JSON string or a sentence holds one.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
MOBILE_RE = re.compile(r"(?<![0-9A-Za-z])1[3-9][0-9]{9}(?![0-9A-Za-z])")


def personal_numbers_in(text: str, known=()) -> list[str]:
    """Every plaintext ID number or mobile in `text`: the ones the test used (anywhere, even inside a longer token)
    and any other that stands on its own."""
    found = [number for number in known if number and number in text]
    found += ID_NUMBER_RE.findall(text) + MOBILE_RE.findall(text)
    return sorted(set(found))


# --- Every URL of the project ------------------------------------------------------------------------------------

SAMPLE = {"int": "1", "str": "JX1", "slug": "mockbank", "path": "1", "uuid": str(uuid.uuid4())}


def _regex_sample(regex: str) -> str:
    def group(match):
        body = match.group(2)
        return body.split("|")[0] if "|" in body and "(" not in body else "abc"

    text = re.sub(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)", group, regex)
    return text.replace("^", "").replace("$", "").replace("\\.", ".")


def every_url():
    """(name, view, sample path) for every URL pattern of the project, a sample value in each parameter."""

    def walk(resolver, prefix, namespace):
        for pattern in resolver.url_patterns:
            route = str(pattern.pattern)
            if type(pattern.pattern).__name__ == "RegexPattern":
                route = _regex_sample(route)
            else:
                route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
                yield from walk(pattern, prefix + route, inner or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "")
                yield name, pattern.callback, "/" + prefix + route

    return list(walk(get_resolver(), "", ""))
