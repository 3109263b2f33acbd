"""One error a person can act on (issue 14 point 5): a refusal is `jxjy.lib.errors.UserError(message, status, field)`
or a subclass naming a case callers tell apart; no app defines its own copy of it. The exceptions that are not
refusals for a person — a library's value errors, a provider's failures, a step's own control flow — are listed."""

import ast

from .test_layering import product_modules

NOT_USER_ERRORS = {
    # lib: a value a caller checks and words for its own page
    "InvalidIdNumber",
    "InvalidMobile",
    "InvalidName",
    "InvalidCreditCode",
    "DecryptionError",
    # outside systems (the caller decides what a person is told)
    "RequestFailed",
    "SmsError",
    "VerificationError",
    "GatewayError",
    "TranscodeError",
    # a step's own control flow, never shown
    "_Superseded",
    "_RosterMobileMismatch",
    "OtpLocked",
}
BUILTIN_BASES = {"Exception", "ValueError", "RuntimeError", "LookupError", "KeyError", "TypeError"}


def exception_classes(path):
    """(class name, names of its bases) of every class in `path` that derives from a built-in exception."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", "") for base in node.bases}
            if bases & BUILTIN_BASES:
                yield node.name, bases


def test_refusals_are_user_errors():
    own = {
        f"{path}:{name}"
        for path in product_modules()
        if path.name != "errors.py" or path.parent.name != "lib"
        for name, _ in exception_classes(path)
        if name not in NOT_USER_ERRORS
    }
    assert not own, f"exception classes that should be jxjy.lib.errors.UserError (or a subclass of it): {own}"


def test_the_check_sees_a_copy(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "class OrderError(Exception):\n    pass\n\n\nclass GradeMissing(UserError):\n    pass\n", encoding="utf-8"
    )
    assert [name for name, _ in exception_classes(probe)] == ["OrderError"]
