import pytest

from jxjy.catalog.models import Category, Chapter, Course


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def course(db):
    return Course.objects.create(title="职业道德与法律法规", category=Category.PUBLIC, hours=2)


@pytest.fixture
def chapter(course):
    return Chapter.objects.create(course=course, title="第一章 职业道德规范", order=1)
