"""The yearly standing (DESIGN.md §4): a learner's year read from the hours ledger — the hours counted toward each
category, and 合格 or not. The rule lives here only; class progress, the exam gate, 已结业, the 继续教育档案, the
certificate and the year report all read it.

- Every entry of the year counts toward its category (网络学习, 面授班, their reversals), except 视同申报.
- Approved 视同申报, net of reversed approvals (a reversal whose source_id starts with "declaration:"), count
  toward 专业课 first and then 选修课, never 公共课, together at most `declaration_cap_ratio` of the professional
  requirement; the rest is not counted.
- A category never counts below zero. The hours are met when every category is; percent is the hours counted up
  to each category's requirement over the hours required (100 when nothing is required).
- The year is 合格 when the hours are met and, with an online class, the class exam is passed.

The requirement (hours per category, the cap ratio) is the learner's online class's when there is one that year,
else the training year's: the caller, who knows the class, passes it. Two forms of one rule: `year_standing` and
`standings` in Python for pages (one ledger query), `standing_sql` for reports (one statement for any number of
learners); credits/tests/test_standing_agreement.py proves they agree on both databases."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import F, Q, Sum

from jxjy.catalog.models import Category, TrainingYear

from .models import CreditEntry, CreditSource

ZERO = Decimal("0")
DECLARATION_PREFIX = "declaration:"  # source_id of a 视同申报's entry and of its reversal (declarations.services)
REVERSED_DECLARATION = Q(source=CreditSource.REVERSAL, source_id__startswith=DECLARATION_PREFIX)
# The SQL form counts in 1/10 000 学时: ledger hours have two places and cap ratios two, so every figure (the cap
# included) is a whole number there, and SQLite's floating-point sums cannot round a boundary the wrong way.
UNITS = 10_000


def fmt_hours(value: Decimal) -> str:
    """16, 16.5, 0.25: at most two places, no trailing zeros."""
    text = format(Decimal(value).quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Requirement:
    """What a year asks: hours per category and the share of the professional requirement 视同申报 may fill."""

    public: Decimal
    professional: Decimal
    elective: Decimal
    cap_ratio: Decimal

    @classmethod
    def of(cls, rule, cap_ratio: Decimal | None = None) -> "Requirement":
        """From a TrainingClass (its own hours, its year's cap ratio) or a TrainingYear."""
        if cap_ratio is None:
            cap_ratio = (rule if isinstance(rule, TrainingYear) else rule.year).declaration_cap_ratio
        return cls(
            public=rule.public_hours or ZERO,
            professional=rule.professional_hours or ZERO,
            elective=rule.elective_hours or ZERO,
            cap_ratio=cap_ratio,
        )

    def hours(self, category: str) -> Decimal:
        return getattr(self, category)

    @property
    def declaration_cap(self) -> Decimal:
        return self.professional * self.cap_ratio


def class_requirements(classes) -> dict:
    """{class id: Requirement} for TrainingClasses, with one query for the years not already loaded."""
    classes = list(classes)
    unloaded = {c.year_id for c in classes if not type(c).year.is_cached(c)}
    ratios = dict(TrainingYear.objects.filter(year__in=unloaded).values_list("year", "declaration_cap_ratio"))
    return {
        c.pk: Requirement.of(c, c.year.declaration_cap_ratio if c.year_id not in unloaded else ratios[c.year_id])
        for c in classes
    }


@dataclass(frozen=True)
class Exam:
    """The online class's exam: the best graded score (None before any) and the class's pass score."""

    best: int | None
    pass_score: int

    @property
    def passed(self) -> bool:
        return self.best is not None and self.best >= self.pass_score


@dataclass(frozen=True)
class CategoryStanding:
    key: str
    label: str
    required: Decimal
    cells: tuple  # ((source label, hours posted), …) in the order of Standing.sources: the ledger as posted
    declared: Decimal  # approved 视同申报 toward this category, net of reversed approvals
    allowed: Decimal  # the part of `declared` within the year's cap
    counted: Decimal  # what counts toward the requirement

    @property
    def missing(self) -> Decimal:
        return max(ZERO, self.required - self.counted)

    @property
    def met(self) -> bool:
        return self.counted >= self.required

    @property
    def toward(self) -> Decimal:
        """The counted hours up to the requirement: what the overall percent adds up."""
        return min(self.counted, self.required)

    @property
    def percent(self) -> int:
        return int(self.toward * 100 // self.required) if self.required else 100


@dataclass(frozen=True)
class Standing:
    """One learner's year. `exam` is the online class's (None: no online class that year, no exam asked)."""

    year: int
    requirement: Requirement
    categories: tuple[CategoryStanding, ...]
    sources: tuple  # ((source, label), …): the sources that posted this year, in CreditSource order
    exam: Exam | None = None

    def category(self, key: str) -> CategoryStanding:
        return next(c for c in self.categories if c.key == key)

    @property
    def required(self) -> Decimal:
        return sum((c.required for c in self.categories), ZERO)

    @property
    def counted(self) -> Decimal:
        return sum((c.counted for c in self.categories), ZERO)

    @property
    def missing(self) -> Decimal:
        return sum((c.missing for c in self.categories), ZERO)

    @property
    def percent(self) -> int:
        required = self.required
        return int(sum((c.toward for c in self.categories), ZERO) * 100 // required) if required else 100

    @property
    def hours_met(self) -> bool:
        return all(c.met for c in self.categories)

    @property
    def declaration_cap(self) -> Decimal:
        return self.requirement.declaration_cap

    @property
    def declaration_room(self) -> Decimal:
        """How many more 视同申报 hours the cap allows this year (what a reviewer may still approve)."""
        return max(ZERO, self.declaration_cap - sum((c.declared for c in self.categories), ZERO))

    @property
    def declaration_over_cap(self) -> bool:
        """Some approved 视同申报 hours do not count (over the cap, or toward 公共课)."""
        return any(c.declared > c.allowed for c in self.categories)

    @property
    def exam_required(self) -> bool:
        return self.exam is not None

    @property
    def exam_passed(self) -> bool:
        return self.exam is not None and self.exam.passed

    @property
    def exam_best(self) -> int | None:
        return self.exam.best if self.exam else None

    @property
    def exam_pass_score(self) -> int | None:
        return self.exam.pass_score if self.exam else None

    @property
    def qualified(self) -> bool:
        return self.hours_met and (self.exam is None or self.exam.passed)

    @property
    def result(self) -> str:
        return "合格" if self.qualified else "不合格"

    @property
    def reasons(self) -> list[str]:
        """Why the year is not 合格, in the learner's words (empty when it is)."""
        reasons = []
        if not self.hours_met:
            parts = "，".join(f"{c.label}还差 {fmt_hours(c.missing)} 学时" for c in self.categories if c.missing)
            reasons.append(f"还差 {fmt_hours(self.missing)} 学时（{parts}）")
        if self.exam is not None and not self.exam.passed:
            if self.exam.best is None:
                reasons.append("考试未通过：尚未参加考试")
            else:
                reasons.append(f"考试未通过：最高 {self.exam.best} 分，{self.exam.pass_score} 分合格")
        return reasons


# --- The Python form: one learner ------------------------------------------------------------------------------


def tally(year: int, requirement: Requirement, rows, exam: Exam | None = None) -> Standing:
    """The rule itself, on the year's ledger totals: rows of (category, source, hours, of which reversed
    视同申报 approvals). No database access."""
    posted: dict = {}
    declared = dict.fromkeys(Category.values, ZERO)
    for category, source, hours, reversed_declarations in rows:
        posted.setdefault(category, {})[source] = hours or ZERO
        declared[category] += (hours or ZERO) if source == CreditSource.DECLARATION else ZERO
        declared[category] += reversed_declarations or ZERO
    seen = {source for by_source in posted.values() for source in by_source}
    sources = tuple((value, label) for value, label in CreditSource.choices if value in seen)
    room = requirement.declaration_cap
    categories = []
    for key, label in Category.choices:
        by_source = posted.get(key, {})
        others = sum(by_source.values(), ZERO) - declared[key]
        net_declared = max(declared[key], ZERO)
        allowed = ZERO if key == Category.PUBLIC else min(net_declared, room)
        room -= allowed
        categories.append(
            CategoryStanding(
                key=key,
                label=label,
                required=requirement.hours(key),
                cells=tuple((source_label, by_source.get(source, ZERO)) for source, source_label in sources),
                declared=net_declared,
                allowed=allowed,
                counted=max(others + allowed, ZERO),
            )
        )
    return Standing(year=year, requirement=requirement, categories=tuple(categories), sources=sources, exam=exam)


def _ledger(user, years) -> dict:
    """{year: [(category, source, hours, reversed 视同申报)]} of one learner, in one query."""
    rows = (
        CreditEntry.objects.filter(user=user, year__in=set(years))
        .order_by()
        .values_list("year", "category", "source")
        .annotate(total=Sum("hours"), reversed_declarations=Sum("hours", filter=REVERSED_DECLARATION))
    )
    by_year: dict = {}
    for year, *row in rows:
        by_year.setdefault(year, []).append(row)
    return by_year


def year_standing(user, year: int, requirement: Requirement, exam: Exam | None = None) -> Standing:
    """The learner's (a User or its id) standing in `year` against `requirement`."""
    return tally(year, requirement, _ledger(user, [year]).get(year, []), exam)


def standings(user, wanted: dict) -> dict:
    """Several standings of one learner with one ledger query: {key: (year, Requirement)} → {key: Standing}
    (no exam: the percent and the hours, e.g. one per class on 学员中心)."""
    ledger = _ledger(user, [year for year, _ in wanted.values()])
    return {key: tally(year, requirement, ledger.get(year, [])) for key, (year, requirement) in wanted.items()}


def class_standing(user, training_class, exam: Exam | None = None) -> Standing:
    """The learner's standing in the year of an online class, against that class's requirement."""
    return year_standing(user, training_class.year_id, Requirement.of(training_class), exam)


# --- The SQL form: many learners -------------------------------------------------------------------------------


def class_rule(path: str) -> dict:
    """standing_sql's year and requirement for rows that reach a TrainingClass by `path` (e.g. "training_class")."""
    rule = {c: f"{path}__{c}_hours" for c in Category.values}
    return {"year": f"{path}__year", **rule, "cap_ratio": f"{path}__year__declaration_cap_ratio"}


def year_rule(path: str) -> dict:
    """standing_sql's year and requirement for rows that reach a TrainingYear by `path` (no online class)."""
    rule = {c: f"{path}__{c}_hours" for c in Category.values}
    return {"year": path, **rule, "cap_ratio": f"{path}__declaration_cap_ratio"}


def standing_sql(queryset, *, user, year, public, professional, elective, cap_ratio, **carry) -> tuple[str, list]:
    """One SELECT (and its parameters) with a row per row of `queryset`: the learner's standing in the year.
    `user`, `year`, the hours and `cap_ratio` are field paths (or expressions) on the queryset's model, as
    `class_rule` / `year_rule` give them; `carry` names more columns to pass through (e.g. city="user__city_id").
    Each row has the carried columns, `learner`, `year`, the counted hours `public`, `professional`, `elective`
    and `required` in 1/UNITS 学时, `percent` and `met` (1 when every category is met). The ledger is read once,
    grouped per row: the number of statements does not grow with the learners."""
    connection = connections[queryset.db]
    qn = connection.ops.quote_name
    greatest, least = ("GREATEST", "LEAST") if connection.vendor == "postgresql" else ("MAX", "MIN")
    rule = {"public": public, "professional": professional, "elective": elective, "cap_ratio": cap_ratio}
    columns = {"st_user": user, "st_year": year, **{f"st_{k}": v for k, v in rule.items()}, **carry}
    subject = queryset.order_by().values(**{k: F(v) if isinstance(v, str) else v for k, v in columns.items()})
    subject_sql, subject_params = subject.query.sql_with_params()

    def units(column, scale=UNITS):
        return f"CAST(ROUND(COALESCE({column}, 0) * {scale}) AS BIGINT)"

    declared = "(e.source = %s OR (e.source = %s AND e.source_id LIKE %s))"
    declared_params = [CreditSource.DECLARATION, CreditSource.REVERSAL, f"{DECLARATION_PREFIX}%"]
    sums, sum_params = [], []
    for c in Category.values:
        for name, test in ((f"other_{c}", f"NOT {declared}"), (f"declared_{c}", declared)):
            total = f"SUM(CASE WHEN e.category = %s AND {test} THEN {units('e.hours')} END)"
            sums.append(f"CAST(COALESCE({total}, 0) AS BIGINT) AS {name}")  # PostgreSQL's SUM(bigint) is numeric
            sum_params += [c, *declared_params]
    # 视同申报 fill 专业课 first, then 选修课 with what the cap leaves; 公共课 never.
    counted = {
        "public": f"{greatest}(other_public, 0)",
        "professional": f"{greatest}(other_professional + allowed_professional, 0)",
        "elective": f"{greatest}(other_elective + {least}({greatest}(declared_elective, 0), "
        f"cap - allowed_professional), 0)",
    }
    toward = " + ".join(f"{least}(counted_{c}, rq_{c})" for c in Category.values)
    required = " + ".join(f"rq_{c}" for c in Category.values)
    met = " AND ".join(f"counted_{c} >= rq_{c}" for c in Category.values)
    carried = "".join(f"{qn(name)}, " for name in carry)
    # Only names from the models and this module are formatted in; every value is a parameter.
    sql = f"""
        SELECT {carried}st_user AS {qn("learner")}, st_year AS {qn("year")},
               {", ".join(f"counted_{c} AS {qn(c)}" for c in Category.values)}, {required} AS {qn("required")},
               CASE WHEN {required} = 0 THEN 100 ELSE ({toward}) * 100 / ({required}) END AS {qn("percent")},
               CASE WHEN {met} THEN 1 ELSE 0 END AS {qn("met")}
        FROM (
            SELECT a.*, {", ".join(f"{expr} AS counted_{c}" for c, expr in counted.items())}
            FROM (
                SELECT g.*, {", ".join(f"{units(f'g.st_{c}')} AS rq_{c}" for c in Category.values)},
                       {units("g.st_professional", 100)} * {units("g.st_cap_ratio", 100)} AS cap,
                       {least}({greatest}(g.declared_professional, 0),
                               {units("g.st_professional", 100)} * {units("g.st_cap_ratio", 100)})
                           AS allowed_professional
                FROM (
                    SELECT s.*, {", ".join(sums)}
                    FROM ({subject_sql}) s
                    LEFT JOIN {qn(CreditEntry._meta.db_table)} e ON e.user_id = s.st_user AND e.year = s.st_year
                    GROUP BY {", ".join(f"s.{qn(name)}" for name in columns)}
                ) g
            ) a
        ) standing
    """  # noqa: S608
    return sql, [*sum_params, *subject_params]


def standing_rows(queryset, **rule) -> list[dict]:
    """standing_sql's rows as dicts, hours as Decimal 学时 (for tests and small lists; reports wrap the SQL)."""
    sql, params = standing_sql(queryset, **rule)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        for key in (*Category.values, "required"):
            row[key] = Decimal(row[key]) / UNITS
        row["met"] = bool(row["met"])
    return rows
