"""What may be stored of a username someone typed into a sign-in form.

A learner who types an ID number or a mobile into the staff sign-in (or any sign-in whose username field takes free
text) must not leave the number in django-axes' tables, the audit log or a log line. Such a value is kept only as a
keyed hash (HMAC, the blind-index key): the same typed value always gives the same hash, so lockouts still count,
and nobody can read or enumerate the number back."""

import re
import unicodedata

from django.conf import settings

from jxjy.lib import crypto

# A learner's own username is already the keyed index of the ID number; a value hashed here stays as it is.
_ALREADY_SAFE = re.compile(r"#?[0-9a-f]{64}")
# Seven digits in a row are more of a personal number (ID number, mobile, or a mistyped one) than any staff
# username needs; full-width digits count too (NFKC folds them).
_DIGIT_RUN = re.compile(r"[0-9]{7,}")


def looks_personal(value: str) -> bool:
    """Whether a typed username looks like (part of) an ID number or a mobile."""
    folded = unicodedata.normalize("NFKC", value or "")
    folded = re.sub(r"[\s\-]", "", folded)
    return bool(_DIGIT_RUN.search(folded))


def safe_username(value) -> str:
    """The username as it may be stored: unchanged, or `#` + its keyed hash when it looks personal."""
    if value is None:
        return value
    value = str(value)
    if _ALREADY_SAFE.fullmatch(value) or not looks_personal(value):
        return value
    canonical = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()
    return "#" + crypto.blind_index(canonical, "typed_username")


def axes_username(request, credentials=None):
    """AXES_USERNAME_CALLABLE: the username axes counts, stores and logs (its default lookup, then made safe)."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        value = credentials.get(field)
    else:
        value = getattr(request, "data", request.POST).get(field) if request is not None else None
    return safe_username(value)
