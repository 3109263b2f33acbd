"""视同申报 cross-checked across learners (issue 16 item 4). An attachment identical to one in another learner's
claim (its bytes, or a PDF's rendered first page: fingerprints.py) makes the claim 疑似材料重复; the office sees the
other claim when it is in its scope, else only that learner's city. Claims with the same organiser, dates and title
(normalised: Declaration.batch_key) are 同批培训, a group training, reviewed together by 批量审核: claim by claim
through services.approve / services.reject, each in its own transaction and audit record."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from jxjy.lib.errors import UserError

from .models import Attachment, Declaration, Status
from .services import approve, reject


@dataclass(frozen=True)
class MaterialMatch:
    """Another learner's claim with an attachment identical to one of this claim's (bytes or a PDF's first page).
    `claim` is None when that learner is outside the office's scope: the office then sees only the city."""

    city: str
    claim: Declaration | None


def material_matches(declarations, visible) -> dict:
    """{claim id: [MaterialMatch, …]} for the `declarations` whose attachments match another learner's claim;
    `visible` is the office's scoped queryset of claims, which decides what of the other claim it may see. One
    query finds the claims' attachments and every attachment sharing a fingerprint with them (both indexed)."""
    ids = [d.pk for d in declarations]
    if not ids:
        return {}
    own = Attachment.objects.filter(declaration__in=ids)
    rows = Attachment.objects.filter(
        Q(declaration__in=ids)
        | Q(sha256__in=own.exclude(sha256="").values("sha256"))
        | Q(page_sha256__in=own.exclude(page_sha256="").values("page_sha256"))
    )
    rows = list(rows.select_related("declaration__user__city").only(*MATCH_FIELDS))
    by_print = defaultdict(set)  # ("bytes" | "page", fingerprint) -> {(claim id, learner id)}
    for row in rows:
        if row.declaration_id in ids:
            for kind, value in _prints(row):
                by_print[kind, value].add((row.declaration_id, row.declaration.user_id))
    found = defaultdict(dict)  # claim id -> {other claim id: its learner's city}
    for row in rows:
        for print_ in _prints(row):
            for claim_id, user_id in by_print.get(print_, ()):
                if row.declaration.user_id != user_id:
                    city = row.declaration.user.city
                    found[claim_id][row.declaration_id] = city.name if city else "其他地市"
    other_ids = {pk for matches in found.values() for pk in matches}
    seen = {d.pk: d for d in visible.filter(pk__in=other_ids).select_related("user")} if other_ids else {}
    return {
        claim_id: [MaterialMatch(city=city, claim=seen.get(pk)) for pk, city in sorted(matches.items())]
        for claim_id, matches in found.items()
    }


MATCH_FIELDS = ("declaration_id", "sha256", "page_sha256", "declaration__user_id", "declaration__user__city__name")


def _prints(attachment):
    return [(kind, value) for kind, value in (("bytes", attachment.sha256), ("page", attachment.page_sha256)) if value]


def batch_sizes(declarations) -> dict:
    """{batch_key: number of learners} for the keys of `declarations` shared by two or more learners (any city;
    withdrawn claims aside): 同批培训, a group training several learners attended."""
    keys = {d.batch_key for d in declarations if d.batch_key}
    if not keys:
        return {}
    rows = Declaration.objects.filter(batch_key__in=keys).exclude(status=Status.WITHDRAWN).values("batch_key")
    rows = rows.annotate(learners=Count("user", distinct=True)).filter(learners__gt=1)
    return {row["batch_key"]: row["learners"] for row in rows}


def batch_members(declaration, visible):
    """The claims of `declaration`'s 同批培训 that the office may see (its own city's; the province: all)."""
    members = visible.filter(batch_key=declaration.batch_key).exclude(status=Status.WITHDRAWN)
    return members.select_related("user").order_by("status", "pk")


TWICE_IN_BATCH = "该学员在本批中有两条申报（疑似重复），请逐条审核。"


@dataclass
class BatchOutcome:
    done: list = field(default_factory=list)
    already: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # [(claim, the reason in Chinese)]


def review_batch(*, claims, reviewer, hours=None, note="", reason=None) -> BatchOutcome:
    """批量审核: 通过 (with `hours`) or 驳回 (with `reason`) each of `claims` through approve() / reject(), one by one:
    each in its own transaction with its own audit record and the same caps as one at a time. A claim already in
    the wanted state is passed over quietly; one that is refused (a cap, another state) does not stop the rest."""
    target = Status.APPROVED if reason is None else Status.REJECTED
    outcome = BatchOutcome()
    per_learner = Counter(claim.user_id for claim in claims)
    for claim in claims:
        if claim.status == target:
            outcome.already.append(claim)
            continue
        if per_learner[claim.user_id] > 1:  # the same training claimed twice: 疑似重复, for one-by-one review
            outcome.failed.append((claim, TWICE_IN_BATCH))
            continue
        try:
            if reason is None:
                approve(declaration=claim, hours=hours, reviewer=reviewer, note=note)
            else:
                reject(declaration=claim, reviewer=reviewer, reason=reason)
        except UserError as exc:
            claim.refresh_from_db(fields=["status"])
            if claim.status == target:  # another reviewer got there first
                outcome.already.append(claim)
            else:
                outcome.failed.append((claim, exc.message))
            continue
        outcome.done.append(claim)
    return outcome
