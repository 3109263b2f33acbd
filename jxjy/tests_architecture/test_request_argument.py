"""No function outside the views takes a `request` only to hand it to the audit log: `record()` reads the address,
the request id and the signed-in user from the request context (issue 14 point 5). A `request` a function really
uses — an address for a rate limit, the session, an absolute URL — stays."""

import ast

from .test_layering import product_modules

ENTRY_POINTS = ("views", "middleware.py", "admin.py", "signals.py", "decorators.py", "permissions.py")


def _is_entry_point(path) -> bool:
    return path.name.startswith("views") or any(part in ENTRY_POINTS for part in (path.name, path.parent.name))


def request_only_for_record(path):
    """Names of the module-level functions in `path` whose `request` parameter is unused or used only as
    `record(…, request=request)` (methods are left out: a middleware hook's signature is Django's)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        arguments = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
        if "request" not in {a.arg for a in arguments}:
            continue
        uses = [n for n in ast.walk(function) if isinstance(n, ast.Name) and n.id == "request"]
        for_record = [
            keyword.value
            for call in ast.walk(function)
            if isinstance(call, ast.Call) and getattr(call.func, "id", getattr(call.func, "attr", "")) == "record"
            for keyword in call.keywords
            if keyword.arg == "request" and isinstance(keyword.value, ast.Name) and keyword.value.id == "request"
        ]
        if len(uses) == len(for_record):
            yield function.name


def test_no_request_argument_only_for_the_audit_log():
    threaded = {
        f"{path}:{name}"
        for path in product_modules()
        if "migrations" not in path.parts and not _is_entry_point(path)
        for name in request_only_for_record(path)
    }
    assert not threaded, f"these take `request` only to pass it to record(); drop it, record() reads it: {threaded}"


def test_the_check_sees_a_threaded_request(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def approve(*, claim, request=None):\n    record('x', request=request, obj=claim)\n\n\n"
        "def start(*, order, request):\n    record('y', request=request)\n    return request.build_absolute_uri('/')\n",
        encoding="utf-8",
    )
    assert list(request_only_for_record(probe)) == ["approve"]
