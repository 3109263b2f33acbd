"""Fixtures the back-office tests share with the domain tests they grew out of: the 面授班 personas and classes
(jxjy/facetoface/tests/conftest.py) for test_facetoface.py. A test module's own fixture of the same name wins."""

from jxjy.facetoface.tests.conftest import (  # noqa: F401 (fixtures, found by pytest by name)
    learner,
    nanjing_class,
    nanjing_office,
    online,
    province,
    suzhou_class,
    suzhou_office,
    year,
)
