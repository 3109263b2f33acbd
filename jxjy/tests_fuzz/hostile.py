"""What the fuzz sends: a fixed corpus of hostile values, Hypothesis strategies over the same ground, the request
bodies built from them byte by byte (the test client would refuse to encode a lone surrogate itself), and how a
view's field names are found (its page's inputs, its forms, the names its source reads)."""

import inspect
import json
import re
from urllib.parse import quote_plus

from django import forms
from hypothesis import strategies as st

LONG = "学" * 50_000 + "x" * 50_000  # 100k characters
# Text a field may receive; each field meets each of them (as a form) in len(TEXT) requests.
TEXT = [LONG, "-1", "2147483648", "9223372036854775808", "1e309", "NaN", "²", "abc", " https://evil.example/",
        "orders:list"]  # fmt: skip
# Values no page can store: a NUL, lone surrogates (as UTF-8 would write them) and bytes no UTF-8 decoder accepts.
REFUSED = ["a\x00b", "\ud800", b"\xff\xfe\xfd", b"\xc3\x28"]
RAW = [b"\xff\xfe\xfd", b"\xc3\x28", b"\xed\xa0\x80"]
# JSON values for JSON bodies, written as JSON text (1e309 and NaN are what Python's json module reads as inf/nan).
JSON_VALUES = [
    "null", "-1", str(2**31), "1" + "0" * 400, "-1e309", "NaN", "true", "[]", "{}", '["a", "b"]', '"\\ud800"',
    json.dumps(LONG), str(2**63), "1e309", '"\\u0000"',
]  # fmt: skip
# Whole bodies of the wrong kind: (content type, body).
WRONG_BODIES = [
    ("application/json", b"[]"),
    ("application/json", b'"x"'),
    ("application/json", b"{"),
    ("application/json", b"\xff\xfe{}"),
    ("application/json", b'{"a": "\x00"}'),
    ("text/plain", b"a=b\x00c"),
    ("application/xml", b"<?xml version='1.0'?><xml><a>\x00</a></xml>"),
    ("application/octet-stream", b"\x00\x01\x02\xff"),
    ("multipart/form-data", b"--x\r\n"),  # no boundary at all
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\n--y"),
    ("application/x-www-form-urlencoded; charset=bogus", b"a=b&c=%FF"),
    ("application/x-www-form-urlencoded; charset=utf-16", b"\xff\xfea\x00=\x00\x00\xd8"),
    ("application/x-www-form-urlencoded; charset=latin-1", "a=é".encode("latin-1")),
    ("application/x-www-form-urlencoded", "a=b&c=\udc80".encode("utf-8", "surrogateescape")),
]
# Values for a query string or a path argument, already percent-encoded as they would appear in a URL.
QUERY_VALUES = ["%00", "%ED%A0%80", "9" * 30, "-1", "1e309", "%C2%B2", "x" * 5000]
PATH_VALUES = {"int": ["9" * 20, "2147483648", "0"], "str": ["%00", "%ED%A0%80", "%FF", "x" * 3000, "a%0Ab"]}

# What Hypothesis draws for a field: the corpus, and arbitrary text, numbers and lists of them.
VALUE = st.one_of(
    st.sampled_from(TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(RAW),
)
FIELD_VALUE = st.one_of(VALUE, st.lists(VALUE, min_size=2, max_size=3))


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def form_body(pairs) -> bytes:
    """application/x-www-form-urlencoded from (name, value) pairs; a list value repeats the key."""
    out = []
    for name, value in pairs:
        for item in value if isinstance(value, list) else [value]:
            out.append(f"{quote_plus(_bytes(name))}={quote_plus(_bytes(item))}")
    return "&".join(out).encode("ascii")


def json_body(pairs) -> bytes:
    """A JSON object from (name, JSON text) pairs."""
    inner = ", ".join(f"{json.dumps(name)}: {value_text}" for name, value_text in pairs)
    return ("{" + inner + "}").encode("utf-8")


def multipart_body(fields, value, boundary="FuzzBoundary") -> tuple[str, bytes]:
    """multipart/form-data with every field set to `value`, and a file whose name and content are hostile."""
    parts = []
    for name in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + _bytes(value) + b"\r\n"
        )
    for name in ("attachments", "file", "avatar", "video"):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="a'.encode()
            + _bytes(value)[:200]
            + b'.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\x00\xff\r\n'
        )
    return f"multipart/form-data; boundary={boundary}", b"".join(parts) + f"--{boundary}--\r\n".encode()


def reads_json(view) -> bool:
    """Whether the view's own code reads a raw or JSON body (then every JSON value is sent, not just a few)."""
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return True
    return "request.body" in source or "json.loads" in source


# --- Which fields a view takes ----------------------------------------------------------------------------------

_INPUT = re.compile(r"<(?:input|select|textarea|button)\b[^>]*\bname=\"([^\"]+)\"", re.IGNORECASE)
_READS = re.compile(
    r"(?:POST|GET|data|payload|body|params|values|query|headers)\s*(?:\.(?:get|getlist|pop)\(|\[)\s*[\"']([\w.-]+)[\"']"
)
ALWAYS = {"next", "page"}
NOT_FIELDS = {"csrfmiddlewaretoken"}


def fields_from_page(response) -> set[str]:
    """The inputs of the page the view shows on GET and the fields of every form in its context."""
    names = set()
    if response is None:
        return names
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        names |= set(_INPUT.findall(response.content.decode("utf-8", "replace")))
    for context in response.context or []:
        for value in _context_values(context):
            if isinstance(value, forms.BaseForm):
                names |= {value.add_prefix(name) for name in value.fields}
    return names - NOT_FIELDS


def _context_values(context):
    try:
        return list(context.flatten().values())
    except (AttributeError, TypeError, ValueError):
        return []


def fields_from_source(view) -> set[str]:
    """The names the view's own code reads from the request (request.POST["x"], data.get("seq"), …)."""
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return set()
    return set(_READS.findall(source)) - NOT_FIELDS


# --- Is an answer in plain Chinese? -----------------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


def chinese(text) -> bool:
    return bool(_CJK.search(str(text)))


def english_errors(response) -> list[str]:
    """Error messages the answer shows that are not Chinese: a form's errors, a JSON error, a bare error page."""
    found = []
    for context in response.context or []:
        for value in _context_values(context):
            if isinstance(value, forms.BaseForm) and value.is_bound:
                for messages in value.errors.values():
                    found += [str(m) for m in messages if not chinese(m)]
    content_type = response.get("Content-Type", "")
    if "json" in content_type and response.status_code >= 400:
        try:
            data = json.loads(response.content)
        except ValueError:
            return [*found, f"not JSON: {response.content[:80]!r}"]
        if isinstance(data, dict):
            messages = [data.get("error"), data.get("message")]
            errors = data.get("errors")
            if isinstance(errors, dict):
                for value in errors.values():
                    messages += value if isinstance(value, list) else [value]
            messages = [m if isinstance(m, str) else (m or {}).get("message", "") for m in messages if m]
            if not messages:
                found.append(f"JSON {response.status_code} without a message: {response.content[:80]!r}")
            found += [m for m in messages if not chinese(m)]
    elif response.status_code in (400, 413, 422) and not chinese(response.content.decode("utf-8", "replace")):
        found.append(f"{response.status_code} page: {response.content[:80]!r}")
    return found
