"""A pytest plugin loaded before Django's settings (`-p jxjy.testing.environment` in pyproject.toml).

DEBUG defaults to off, which is what production gets; the suite runs with the development defaults instead (captcha
PASSED, the SMS outbox, the 模拟银行, development keys). Tests of production behaviour start a separate process with
the production variables."""

import os

os.environ.setdefault("DEBUG", "1")
