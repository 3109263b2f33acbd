"""Each outside concern once (issue 14 point 5): only jxjy/lib/sheets.py imports openpyxl, so every Excel upload is
read with its size limits and every export is written with its formula guard; one templates/_pager.html."""

import ast

from .test_layering import PACKAGE, product_modules

ONE_HOME = {"openpyxl": "lib/sheets.py"}


def imported_roots(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


def test_each_outside_library_is_imported_in_its_one_home():
    strays = {
        f"{path.relative_to(PACKAGE)}: {library}"
        for path in product_modules()
        for library in set(imported_roots(path))
        if library in ONE_HOME and str(path.relative_to(PACKAGE)) != ONE_HOME[library]
    }
    assert not strays, f"import these only in their home module ({ONE_HOME}): {strays}"


def test_one_pager_template():
    """Every paged list includes templates/_pager.html; no template carries its own copy of the page links."""
    templates = PACKAGE / "templates"
    copies = {
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if path.name != "_pager.html" and "previous_page_number" in path.read_text(encoding="utf-8")
    }
    assert not copies, f"include _pager.html instead: {copies}"
