"""The yearly standing's rule (credits/standing.py), read from the ledger as posted."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from jxjy.catalog.models import Category, TrainingYear
from jxjy.credits.services import post_entry
from jxjy.credits.standing import Exam, Requirement, class_standing, standings, tally, year_standing
from jxjy.declarations import services as declarations
from jxjy.declarations.models import Declaration, Kind

pytestmark = pytest.mark.django_db

RULE = Requirement(public=Decimal("16"), professional=Decimal("24"), elective=Decimal("8"), cap_ratio=Decimal("0.5"))
_ids = iter(range(1, 10_000))


def post(user, source, year=2026, source_id=None, **hours):
    for category, value in hours.items():
        entry_id = source_id or f"{source}:test:{next(_ids)}"
        hours = Decimal(str(value))
        assert post_entry(user=user, year=year, category=category, hours=hours, source=source, source_id=entry_id)


def counted(standing):
    return [c.counted for c in standing.categories]


def test_declarations_fill_professional_first_then_elective_within_half_the_professional_requirement(alice):
    post(alice, "online", public=16, professional=4, elective=4)
    post(alice, "declaration", public=3, professional=10, elective=6)
    standing = year_standing(alice, 2026, RULE)
    assert counted(standing) == [16, 14, 6]  # 10 toward 专业课, the 2 left toward 选修课, never 公共课
    assert standing.declaration_cap == 12 and standing.declaration_over_cap
    assert standing.declaration_room == 0
    assert standing.percent == 75 and not standing.hours_met  # (16 + 14 + 6) / 48
    assert standing.reasons == ["还差 12 学时（专业课还差 10 学时，选修课还差 2 学时）"]


def test_a_reversed_approval_nets_against_the_declarations_not_the_other_hours(alice):
    """Approved 12, reversed, approved 12 again: 12 approved hours, all within the cap (not 12 − 12 = 0)."""
    post(alice, "online", public=16, professional=12, elective=8)
    post(alice, "declaration", source_id="declaration:7:0", professional=12)
    post(alice, "reversal", source_id="declaration:7:0:reversal", professional=-12)
    assert counted(year_standing(alice, 2026, RULE)) == [16, 12, 8]
    post(alice, "declaration", source_id="declaration:7:1", professional=12)
    standing = year_standing(alice, 2026, RULE)
    assert counted(standing) == [16, 24, 8] and standing.hours_met and not standing.declaration_over_cap
    assert standing.category(Category.PROFESSIONAL).declared == 12 and standing.declaration_room == 0


def test_other_reversals_count_against_their_category_and_nothing_counts_below_zero(alice):
    post(alice, "facetoface", source_id="facetoface:1:public:0", public=6)
    post(alice, "reversal", source_id="facetoface:1:public:0:reversal", public=-6)
    post(alice, "reversal", elective=-3)
    post(alice, "declaration", elective=2)
    standing = year_standing(alice, 2026, RULE)
    assert counted(standing) == [0, 0, 0]  # 选修课: −3 + 2 is not below zero
    assert [label for _, label in standing.sources] == ["面授班", "视同申报", "冲销"]
    assert list(standing.category(Category.PUBLIC).cells) == [("面授班", 6), ("视同申报", 0), ("冲销", -6)]


def test_the_year_its_learner_and_the_exam(alice, bob):
    post(alice, "online", public=16, professional=24, elective=8)
    post(alice, "online", year=2025, public=5)
    post(bob, "online", public=7)
    assert counted(year_standing(alice, 2025, RULE)) == [5, 0, 0]
    assert counted(year_standing(bob, 2026, RULE)) == [7, 0, 0]
    assert year_standing(alice, 2026, RULE).qualified  # no online class: no exam asked
    assert not year_standing(alice, 2026, RULE, Exam(None, 60)).qualified
    assert year_standing(alice, 2026, RULE, Exam(None, 60)).reasons == ["考试未通过：尚未参加考试"]
    assert year_standing(alice, 2026, RULE, Exam(59, 60)).reasons == ["考试未通过：最高 59 分，60 分合格"]
    assert year_standing(alice, 2026, RULE, Exam(60, 60)).qualified
    both = standings(alice, {"a": (2026, RULE), "b": (2025, RULE)})
    assert (both["a"].percent, both["b"].percent) == (100, 10)


def test_the_requirement_is_the_classs_own_with_its_years_cap_ratio(alice, catalog):
    training_class = catalog[(2026, "L4")]
    training_class.professional_hours = Decimal("16")
    training_class.save(update_fields=["professional_hours"])
    TrainingYear.objects.filter(year=2026).update(declaration_cap_ratio=Decimal("0.25"))
    training_class.refresh_from_db()
    post(alice, "declaration", professional=10)
    standing = class_standing(alice, training_class)
    assert standing.required == 40 and standing.declaration_cap == 4 and counted(standing) == [0, 4, 0]


def test_nothing_required_is_met_and_100_percent():
    nothing = Requirement(public=Decimal("0"), professional=Decimal("0"), elective=Decimal("0"), cap_ratio=Decimal("0"))
    standing = tally(2026, nothing, [])
    assert standing.hours_met and standing.percent == 100 and not standing.declaration_over_cap


def test_percent_truncates_like_the_class_page(alice):
    post(alice, "online", public=16, professional=24, elective="7.6")  # 47.6 / 48 = 99.17 %
    assert year_standing(alice, 2026, RULE).percent == 99


def test_reviewers_room_and_the_archive_follow_approvals_and_reversals(client, alice, nanjing_reviewer, catalog):
    """Through the 视同申报 services: a reversed approval frees its room, and after approving it again the
    archive counts it once (the reversal is the declaration's, not taken off the online hours)."""
    post(alice, "online", public=16, professional=12, elective=8)
    claim = Declaration.objects.create(
        user=alice,
        year_id=2026,
        kind=Kind.RESEARCH,
        category=Category.PROFESSIONAL,
        title="节能管理研修班",
        organiser="江苏省机关事务管理局",
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 3),
        hours_claimed=Decimal("12"),
    )
    declarations.approve(declaration=claim, hours=Decimal("12"), reviewer=nanjing_reviewer)
    assert declarations.year_room(claim) == 0
    declarations.reverse_approval(declaration=claim, reviewer=nanjing_reviewer, reason="证书不符")
    assert declarations.year_room(claim) == 12
    declarations.approve(declaration=claim, hours=Decimal("12"), reviewer=nanjing_reviewer)
    client.force_login(alice)
    record = client.get(reverse("certificates:archive"), {"year": 2026}).context["record"]
    assert counted(record) == [16, 24, 8] and record.hours_met
