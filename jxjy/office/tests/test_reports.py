import io

import pytest
from openpyxl import load_workbook

from conftest import staff_client
from jxjy.audit.models import AuditRecord, Event
from jxjy.office.reports import FIGURES, year_report

from .report_data import EXPECTED, NANJING, SUZHOU, TOTAL, build, learner, order

URL = "/office/reports/"
EXPORT = "/office/reports/export/"


@pytest.fixture
def people(catalog):
    return build(catalog)


def test_figures_per_city_and_in_total_match_the_hand_computed_data(people):
    report = year_report(2026)
    for city, expected in EXPECTED.items():
        got = {key: report.by_city[city][key] for key in expected}
        assert got == expected, city
    assert {key: report.total[key] for key in TOTAL} == TOTAL
    assert set(report.by_city) == {NANJING, SUZHOU}


def test_a_city_filter_reads_only_that_city(people):
    report = year_report(2026, city=SUZHOU)
    assert set(report.by_city) == {SUZHOU}
    assert {key: report.total[key] for key in EXPECTED[SUZHOU]} == EXPECTED[SUZHOU]


def test_grade_filter_uses_the_class_grade_for_online_figures(people):
    report = year_report(2026, grade="L3")
    assert report.total["enrolled"] == 2  # n3 (unpaid) and n4 (refunded)
    assert report.total["paid"] == 0
    assert report.total["refunded"] == 150
    assert report.total["progress_100"] == 0
    assert report.total["declarations"] == 0  # the learners with 视同申报 are all 中级工


def test_an_empty_year_shows_zeros(db, catalog):
    report = year_report(2025)
    assert report.by_city == {}
    assert report.total["enrolled"] == 0 and report.total["exam_pass_rate"] is None


def _figure(html, key):
    start = html.index(f'data-figure="{key}"')
    return html[start : html.index("</dd>", start)].rsplit(">", 1)[1]


def test_the_province_sees_both_cities_and_the_charts(people, province_admin):
    response = staff_client(province_admin).get(URL, {"year": 2026})
    assert response.status_code == 200
    html = response.content.decode()
    assert _figure(html, "paid") == "4"
    assert _figure(html, "exam_pass_rate") == "66.7%"
    assert html.count('class="bar"') >= 4 + 5 + 5 + 2  # progress, funnel, others, cities
    assert "南京市" in html and "苏州市" in html
    assert "style=" not in html.split('<div class="office-main">')[1]  # CSP: no inline styles


def test_req_15_a_city_office_sees_only_its_city_whatever_it_asks(people, suzhou_reviewer):
    client = staff_client(suzhou_reviewer)
    html = client.get(URL, {"year": 2026, "city": NANJING}).content.decode()
    assert _figure(html, "paid") == "2"
    assert _figure(html, "revenue") == "240.00"
    assert _figure(html, "f2f_absent") == "1" and _figure(html, "f2f_attended") == "0"
    assert "南京市" not in html.split('<div class="office-main">')[1]
    assert 'name="city"' not in html


def test_the_province_can_filter_one_city(people, province_admin):
    html = staff_client(province_admin).get(URL, {"year": 2026, "city": NANJING}).content.decode()
    assert _figure(html, "enrolled") == "4"
    assert _figure(html, "declaration_hours") == "6.0"


def test_finance_sees_the_report_with_revenue(people, finance_user):
    html = staff_client(finance_user).get(URL, {"year": 2026}).content.decode()
    assert _figure(html, "revenue") == "480.00"


@pytest.mark.parametrize("path", [URL, EXPORT])
def test_content_editor_and_learners_are_refused(people, content_editor, alice, client, path):
    assert staff_client(content_editor).get(path).status_code == 403
    assert AuditRecord.objects.filter(event=Event.ACCESS_DENIED, actor=content_editor).exists()
    client.force_login(alice)
    assert client.get(path).status_code == 403


def test_anonymous_is_sent_to_sign_in(db, client):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("path", [URL, EXPORT])
def test_the_report_is_read_only(people, province_admin, path):
    client = staff_client(province_admin)
    assert client.post(path, {"year": 2026}).status_code == 405
    assert client.delete(path).status_code == 405


def _sheet(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content))
    return book.active


def test_export_holds_the_city_rows_and_is_audited(people, province_admin):
    response = staff_client(province_admin).get(EXPORT, {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    rows = list(_sheet(response).iter_rows(values_only=True))
    header = rows[2]
    assert header[0] == "地市" and list(header[1:]) == [label for _, label in FIGURES]
    by_name = {row[0]: dict(zip([key for key, _ in FIGURES], row[1:], strict=True)) for row in rows[3:]}
    assert set(by_name) == {"南京市", "苏州市", "合计"}
    assert by_name["南京市"]["paid"] == 2 and by_name["南京市"]["revenue"] == 240
    assert by_name["合计"]["exam_pass_rate"] == 66.7 and by_name["合计"]["declaration_hours"] == 14
    entry = AuditRecord.objects.get(event=Event.REPORT_EXPORT)
    assert entry.actor == province_admin and entry.detail["year"] == 2026 and entry.detail["city"] == ""


def test_req_15_a_city_export_holds_its_city_only(people, nanjing_reviewer):
    response = staff_client(nanjing_reviewer).get(EXPORT, {"year": 2026, "city": SUZHOU})
    rows = list(_sheet(response).iter_rows(values_only=True))
    assert [row[0] for row in rows[3:]] == ["南京市", "合计"]
    assert AuditRecord.objects.get(event=Event.REPORT_EXPORT).detail["city"] == NANJING


def test_the_query_count_does_not_grow_with_the_data(catalog, province_admin, django_assert_max_num_queries):
    client = staff_client(province_admin)
    build(catalog)
    with django_assert_max_num_queries(14) as small:
        assert client.get(URL, {"year": 2026}).status_code == 200
    for city in ("320100", "320200", "320300", "320400", "320500"):
        for _ in range(4):
            order(learner(city), catalog[(2026, "L4")])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(URL, {"year": 2026}).status_code == 200
    with django_assert_max_num_queries(len(small.captured_queries) + 1):  # + the audit record
        assert client.get(EXPORT, {"year": 2026}).status_code == 200


def test_a_unit_order_line_counts_for_its_listed_learner_city(catalog):
    """单位统一报名缴费: a 南京 contact person pays for a 苏州 staff member; the line is 苏州's."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from jxjy.orders.models import Order, OrderLine

    contact, listed = learner(NANJING), learner(SUZHOU)
    now = timezone.now()
    order = Order.objects.create(
        user=contact, status="paid", amount=Decimal("120.00"), expires_at=now + timedelta(minutes=30), paid_at=now
    )
    training_class = catalog[(2026, "L4")]
    OrderLine.objects.create(order=order, training_class=training_class, year=2026, title=training_class.title,
                             fee=Decimal("120.00"), hours=Decimal("48"), learner=listed)  # fmt: skip
    report = year_report(2026)
    assert set(report.by_city) == {SUZHOU}
    assert report.by_city[SUZHOU]["paid"] == 1 and report.by_city[SUZHOU]["revenue"] == Decimal("120.00")
    assert year_report(2026, city=NANJING).total["enrolled"] == 0
    assert year_report(2026, city=SUZHOU).total["enrolled"] == 1
