"""The production gate: `check --deploy` with the production variables is clean, and fails when DEBUG, the
模拟银行 or a public development secret is on; DEBUG defaults to off; demo data refuses to load in production."""

import os
import subprocess
import sys

from .test_portal import PRODUCTION_ENV, ROOT, run_production


def check_deploy(**overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("DEV_TOOLS", "DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG")}
    env.update(PRODUCTION_ENV)
    env.update(overrides)
    env["VAR_DIR"] = str(ROOT / "var" / "prod-check")
    args = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_req_46_check_deploy_is_clean_with_the_production_variables():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_req_46_check_deploy_fails_when_debug_is_on():
    result = check_deploy(DEBUG="1")
    assert result.returncode != 0
    assert "jxjy.E003" in result.stdout + result.stderr


def test_req_46_check_deploy_fails_with_a_public_development_secret():
    from django.conf import settings

    for name in ("SECRET_KEY", "BLIND_INDEX_KEY", "CERTIFICATE_SIGNING_KEY"):
        result = check_deploy(**{name: settings.DEV_SECRETS[name]})
        assert result.returncode != 0, name
        assert f"{name} has its public development value" in result.stdout + result.stderr
    old = PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"]
    result = check_deploy(FIELD_ENCRYPTION_KEYS=f"{old},{settings.DEV_SECRETS['FIELD_ENCRYPTION_KEYS']}")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS has its public development value" in result.stdout + result.stderr


def test_req_46_check_deploy_fails_when_the_mock_bank_is_configured():
    result = check_deploy(PAYMENT_PROVIDERS="alipay,mockbank")
    assert result.returncode != 0, result.stdout


def test_debug_defaults_to_off():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DEV_TOOLS")}
    env.update({k: v for k, v in PRODUCTION_ENV.items() if k != "DEBUG"})
    code = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='jxjy.settings'; django.setup();" \
           "from django.conf import settings; print('DEBUG', settings.DEBUG, settings.DEV_TOOLS)"  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "DEBUG False False" in result.stdout


def test_demo_data_refuses_to_load_in_production():
    result = run_production("manage.py", "load_demo")
    assert result.returncode != 0
    assert "演示数据只能在开发环境" in result.stderr


def test_req_7_no_default_or_demo_account_is_active_in_production(db, settings):
    from django.core.checks import run_checks

    from conftest import make_staff

    settings.DEBUG = False
    assert not [e for e in run_checks(include_deployment_checks=True, databases=["default"]) if e.id == "jxjy.E005"]
    admin = make_staff("admin", "province")
    make_staff("nanjing", "city", "320100")
    errors = [e for e in run_checks(include_deployment_checks=True, databases=["default"]) if e.id == "jxjy.E005"]
    assert errors and "admin, nanjing" in errors[0].msg
    admin.is_active = False
    admin.save(update_fields=["is_active"])
    errors = [e for e in run_checks(include_deployment_checks=True, databases=["default"]) if e.id == "jxjy.E005"]
    assert "admin" not in errors[0].msg
