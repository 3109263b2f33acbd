"""No ID number or mobile in a URL (ASVS 8.3.1): URLs end up in browser history, proxy and access logs and Referer
headers. Every search that takes one is a POST; a query string carrying one is refused before any view sees it."""

import re
from urllib.parse import parse_qsl

from django.shortcuts import render

# A value on its own (not part of a longer run of letters and digits such as an order number JX2026…), after the
# separators people type (spaces, dashes) are removed, with or without the +86 / 0086 prefix.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86|0086)?1[3-9][0-9]{9}(?![0-9A-Za-z])")
_SEPARATORS = re.compile(r"[\s\-\u3000]+")


def holds_personal_number(text: str) -> bool:
    text = _SEPARATORS.sub("", text)
    return bool(_ID_NUMBER.search(text) or _MOBILE.search(text))


def query_holds_personal_number(query_string: str) -> bool:
    try:
        pairs = parse_qsl(query_string, keep_blank_values=True, max_num_fields=1000)
    except ValueError:  # more fields than any page of ours takes: judge the raw text instead
        return holds_personal_number(query_string.replace("&", " & ").replace("=", " = "))
    return any(holds_personal_number(part) for pair in pairs for part in pair)


class PersonalNumbersNotInUrlMiddleware:
    """Refuses (400) a request whose query string holds an ID number or a mobile; the page does not repeat it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if query and query_holds_personal_number(query):
            return render(request, "400_personal_number.html", status=400)
        return self.get_response(request)
