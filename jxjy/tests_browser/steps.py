"""Steps shared by the browser flows."""

import re
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

CAPTCHA = "PASSED"
PASSWORD = "Demo1234"


def at(path):
    """page.url matches `path` on the live server, with or without a query string."""
    return re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$")


def log_in(browsing, user, step):
    """Sign in through the login page (ID number, password, captcha) and land in 学员中心."""
    page = browsing.page
    page.goto("/login/")
    browsing.snap(step)
    page.get_by_label("身份证号", exact=True).fill(user.id_number)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("图形验证码", exact=True).fill(CAPTCHA)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(at("/center/"))


def pdf_text(path):
    """The text of a PDF as pdftotext (poppler-utils) extracts it."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not found: install poppler-utils (apt-get install poppler-utils)")
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
