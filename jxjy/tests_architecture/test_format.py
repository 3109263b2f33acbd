"""Product code keeps the formatter's layout (issue 14 point 5): no `# fmt: skip` or `# fmt: off` outside tests and
migrations, so `ruff format` lays out every line the same way."""

import re

from .test_layering import PACKAGE, product_modules

SKIP = re.compile(r"#\s*fmt:\s*(skip|off)\b")


def test_no_formatter_escapes_in_product_code():
    escaped = {
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in product_modules()
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if SKIP.search(line)
    }
    assert not escaped, f"let ruff format lay these out: {sorted(escaped)}"
