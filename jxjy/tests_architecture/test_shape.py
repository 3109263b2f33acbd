"""The house's proportions (issue 14): no view module over 400 lines, no function over 80 lines outside PDF
drawing (a page of a PDF is one long, flat sequence of drawing calls; splitting it hides the page)."""

import ast

from .test_layering import product_modules

VIEW_MODULE_LINES = 400
FUNCTION_LINES = 80


def _is_view_module(path) -> bool:
    return path.name == "views.py" or path.parent.name == "views"


def _is_pdf_drawing(path) -> bool:
    return path.name == "pdf.py"


def test_no_view_module_over_400_lines():
    long = {
        str(path): n
        for path in product_modules()
        if _is_view_module(path) and (n := len(path.read_text(encoding="utf-8").splitlines())) > VIEW_MODULE_LINES
    }
    assert not long, f"view modules over {VIEW_MODULE_LINES} lines: {long}"


def long_functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            if length > FUNCTION_LINES:
                yield node.name, length


def test_no_function_over_80_lines():
    long = {
        f"{path}:{name}": length
        for path in product_modules()
        if "migrations" not in path.parts and not _is_pdf_drawing(path)
        for name, length in long_functions(path)
    }
    assert not long, f"functions over {FUNCTION_LINES} lines: {long}"


def test_the_measure_measures(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n" + "    x = 1\n" * 80 + "\n\ndef g():\n    return 1\n", encoding="utf-8")
    assert list(long_functions(probe)) == [("f", 81)]
