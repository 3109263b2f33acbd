"""Fixtures of the fault tests: the static files and the migrated template database (once per run), and each test's
`stack` of processes (all SIGKILLed, the temporary directory removed, however the test ends)."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from . import harness


@pytest.fixture(scope="session")
def prepared():
    """Once per run, side by side: the collected static files (with DEBUG off the pages need the manifest), shared
    by every test's VAR_DIR, and — when the suite runs on PostgreSQL — a database on the shared server, migrated
    once, that each test copies."""
    var_dir = Path(tempfile.mkdtemp(prefix="jxjy-faults-static-"))
    template = None
    try:
        env = harness.app_environment(database_url="sqlite:///:memory:", redis_url="", var_dir=var_dir)
        collecting = harness.manage_in_background(env, "collectstatic", "--noinput", "--skip-checks", "-v", "0")
        try:
            if harness.DATABASE_URL.startswith("postgres"):
                template = harness.create_template({**env, "VAR_DIR": str(var_dir / "migrate")})
        finally:
            harness.finish(collecting, timeout=120)
        yield {"static_root": var_dir / "static", "template": template}
    finally:
        if template:
            harness.drop_database(template)
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(prepared):
    """The migrated database each test copies (the tests that use it run on PostgreSQL only)."""
    assert prepared["template"], "the fault tests that copy a database need DATABASE_URL on PostgreSQL"
    return prepared["template"]


@pytest.fixture
def stack(prepared):
    """The test's processes and temporary directory; `stack.var_dir` is the app's VAR_DIR (static files linked)."""
    stack = harness.Stack()
    try:
        stack.var_dir = stack.dir / "var"
        stack.var_dir.mkdir()
        os.symlink(prepared["static_root"], stack.var_dir / "static")
        yield stack
    finally:
        stack.close()
