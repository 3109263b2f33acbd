"""字幕 for the player: served as WebVTT only to the learner whose live class has the course selected, exactly the
scope of the video; the player page carries the <track> and the 字幕 button only when there are captions."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from conftest import staff_client
from jxjy.catalog import captions
from jxjy.catalog.models import Category, Chapter, Course, Courseware
from jxjy.learning.models import Enrollment
from jxjy.orders import services as orders
from jxjy.orders.models import OrderStatus

pytestmark = pytest.mark.django_db

VTT = captions.from_slides(["公共机构节能管理", "节约能源，从我做起"], 300)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def with_captions(courseware, vtt=VTT):
    courseware.captions.save("c.vtt", ContentFile(vtt.encode()), save=True)
    return courseware


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def url(enrollment, courseware):
    return reverse("learning:captions", args=[enrollment.pk, courseware.pk])


def test_the_learner_gets_the_webvtt(setup):
    courseware = with_captions(setup["courseware"])
    response = client_for(setup["user"]).get(url(setup["enrollment"], courseware))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response.content.decode("utf-8") == VTT


def test_another_learner_gets_a_404_even_in_the_same_class(second):
    courseware = with_captions(second["courseware"])
    alice_enrollment = Enrollment.objects.get(user__name="张伟")
    bob = client_for(second["user"])
    assert bob.get(url(alice_enrollment, courseware)).status_code == 404  # alice's class, bob's session
    assert bob.get(url(second["enrollment"], courseware)).status_code == 200  # his own class: allowed


def test_a_course_not_selected_is_a_404(setup):
    unselected = Course.objects.create(title="机关后勤服务标准化", category=Category.ELECTIVE, hours=Decimal("4"))
    setup["enrollment"].training_class.courses.add(unselected)
    chapter = Chapter.objects.create(course=unselected, title="第一章")
    courseware = with_captions(Courseware.objects.create(chapter=chapter, title="1.1", video="coursewares/y.mp4"))
    assert client_for(setup["user"]).get(url(setup["enrollment"], courseware)).status_code == 404


def test_a_refunded_class_is_a_404(setup):
    courseware = with_captions(setup["courseware"])
    client = client_for(setup["user"])
    assert client.get(url(setup["enrollment"], courseware)).status_code == 200
    orders.transition(setup["enrollment"].order_line.order, OrderStatus.REFUNDED, reason="学员申请")
    assert client.get(url(setup["enrollment"], courseware)).status_code == 404


def test_no_captions_or_a_missing_file_is_a_404(setup):
    courseware = setup["courseware"]
    client = client_for(setup["user"])
    assert client.get(url(setup["enrollment"], courseware)).status_code == 404
    with_captions(courseware)
    courseware.captions.storage.delete(courseware.captions.name)
    assert client.get(url(setup["enrollment"], courseware)).status_code == 404


def test_strangers_and_staff_get_nothing(setup, content_editor):
    courseware = with_captions(setup["courseware"])
    anonymous = Client().get(url(setup["enrollment"], courseware))
    assert anonymous.status_code == 302 and "/login/" in anonymous.url
    staff = staff_client(content_editor).get(url(setup["enrollment"], courseware))
    assert staff.status_code == 302 and b"WEBVTT" not in staff.content


def test_only_reading_is_allowed(setup):
    courseware = with_captions(setup["courseware"])
    assert client_for(setup["user"]).post(url(setup["enrollment"], courseware)).status_code == 405


def test_the_player_carries_the_track_and_the_button_only_with_captions(setup):
    courseware = setup["courseware"]
    client = client_for(setup["user"])
    player = reverse("learning:player", args=[setup["enrollment"].pk, courseware.pk])
    page = client.get(player).content.decode()
    assert "<track" not in page and "data-captions-toggle" not in page and "captions.js" not in page

    with_captions(courseware)
    page = client.get(player).content.decode()
    track_src = f"{url(setup['enrollment'], courseware)}?v={courseware.captions_version}"
    assert f'<track kind="subtitles" srclang="zh" label="中文字幕" default\n               src="{track_src}">' in page
    assert "字幕：开</button>" in page and "js/captions.js" in page
    assert courseware.captions.name not in page  # the storage name stays private

    old_version = courseware.captions_version
    with_captions(courseware, captions.from_slides(["新字幕"], 300))
    assert courseware.captions_version != old_version  # a replaced file gets a new URL: no stale cache
