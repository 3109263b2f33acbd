"""Seats under a rush, with real parallel connections on PostgreSQL (skipped on SQLite): 50 learners press
报名面授 at the same moment for 10 seats."""

import pytest
from django.db import connection
from django.urls import reverse

from conftest import make_learner
from jxjy.accounts.tests.test_concurrency import run_parallel
from jxjy.catalog.models import YearClaim
from jxjy.facetoface.models import BookingStatus, FaceToFaceBooking

from .conftest import client_for
from .helpers import make_class

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
    pytest.mark.django_db(transaction=True),
]

LEARNERS = 50
SEATS = 10


@pytest.fixture
def rush():
    face_class = make_class(capacity=SEATS, title="抢报的面授班")
    learners = [make_learner(f"学员{i}", f"32010219800101{i:03d}", f"1370000{i:04d}") for i in range(LEARNERS)]
    return face_class, [client_for(user) for user in learners]


def press(client, face_class, **data):
    url = reverse("facetoface:book", args=[face_class.pk])
    return lambda: client.post(url, data).status_code


def test_fifty_learners_ten_seats_exactly_ten_booked(rush):
    face_class, clients = rush
    statuses = run_parallel([press(client, face_class) for client in clients])
    assert statuses == [302] * LEARNERS  # each learner is sent back to the page with a message
    bookings = FaceToFaceBooking.objects.filter(face_class=face_class)
    assert bookings.filter(status=BookingStatus.BOOKED).count() == SEATS
    assert bookings.count() == SEATS  # the other 40 were refused: 该面授班名额已满
    assert YearClaim.objects.filter(source="facetoface").count() == SEATS


def test_fifty_learners_ten_seats_the_rest_wait_in_line(rush):
    face_class, clients = rush
    run_parallel([press(client, face_class, wait="1") for client in clients])
    bookings = FaceToFaceBooking.objects.filter(face_class=face_class)
    assert bookings.filter(status=BookingStatus.BOOKED).count() == SEATS
    assert bookings.filter(status=BookingStatus.WAITING).count() == LEARNERS - SEATS
    assert YearClaim.objects.filter(source="facetoface").count() == LEARNERS


def test_ten_learners_on_one_phone_at_the_same_moment_only_one_signs_in():
    """The device rule holds under a race: the database's unique constraint, not a read-then-write."""
    from django.utils import timezone

    from jxjy.facetoface import signin
    from jxjy.facetoface.models import FaceToFaceSession, SessionCheck

    face_class = make_class(start_in=0, days=1, title="扫码签到的面授班")
    session = FaceToFaceSession.objects.create(face_class=face_class, date=timezone.localdate(), half="am")
    clients = []
    for i in range(10):
        user = make_learner(f"学员{i}", f"32010219800101{i:03d}", f"1370000{i:04d}")
        FaceToFaceBooking.objects.create(face_class=face_class, user=user, booked_at=timezone.now())
        clients.append(client_for(user))
    # One phone: every client carries the same signed device cookie, set by a first visit.
    first = clients[0].get(reverse("facetoface:scan", args=[signin.make_token(session, "in")]))
    device = first.cookies[signin.DEVICE_COOKIE].value
    for client in clients:
        client.cookies[signin.DEVICE_COOKIE] = device
    url = reverse("facetoface:scan", args=[signin.make_token(session, "in")])
    statuses = run_parallel([lambda c=c: c.post(url).status_code for c in clients])
    assert sorted(statuses) == [200] + [409] * 9
    assert SessionCheck.objects.filter(session=session).count() == 1
