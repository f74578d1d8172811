"""Every problem a rule can find, each with its one sentence: the only place a rule's wording is written.

A problem is a frozen dataclass of the facts the sentence needs (names, days,
periods), so a rule returns data and each caller renders it: ``Model.clean()``
raises it keyed by ``problem.field``, the bulk loader and ``validate_data``
prefix it with the row it is about, the admin shows it next to its field.

``template`` is a ``str.format`` pattern over the problem itself (``{p.country}``).
A problem that a database constraint also enforces names that constraint in
``constraints`` and says in ``refusal`` what a refused write is told: the
database cannot fill in the names, so that sentence has none. The models take
their constraints' ``violation_error_message`` from ``refusal`` and
``alliances.store.constraints`` maps a refused constraint back to it, so no copy of a
constraint's message exists anywhere else.

No Django and no ORM here (``tests/test_architecture.py``).
"""

import dataclasses
import datetime
from typing import ClassVar

from alliances.rules.periods import describe_period


@dataclasses.dataclass(frozen=True)
class Problem:
    """One broken rule. ``field`` is the form field it concerns (None: the whole record)."""

    template: ClassVar[str]
    FIELD: ClassVar[str | None] = None
    constraints: ClassVar[tuple[str, ...]] = ()
    refusal: ClassVar[str | None] = None

    on: str | None = dataclasses.field(default=None, kw_only=True)  # overrides FIELD where the rule chooses

    @property
    def field(self):
        return self.on or self.FIELD

    @property
    def sentence(self):
        return self.template.format(p=self)

    def __str__(self):
        return self.sentence


def by_constraint():
    """``{constraint name: (field, refusal sentence)}`` for every problem a database constraint enforces."""
    named = {}
    stack = list(Problem.__subclasses__())
    while stack:
        kind = stack.pop()
        stack += kind.__subclasses__()
        for name in kind.constraints:
            named[name] = (kind.FIELD, kind.refusal)
    return named


def _day(day):
    return day.isoformat() if isinstance(day, datetime.date) else str(day)


# --- a membership period on its own -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EndBeforeStart(Problem):
    start: datetime.date
    end: datetime.date

    FIELD = "end_date"
    template = "The end date {p.end} is before the start date {p.start}."
    constraints = ("membership_end_not_before_start", "orgmembership_end_not_before_start")
    refusal = "The end date must not be before the start date."


@dataclasses.dataclass(frozen=True)
class OffItsBound(Problem):
    """A date known to the month or year not stored as its certain bound.

    A start is stored as the last day of its month or year, an end as the first.
    """

    which: str  # "start" or "end"
    precision: str
    stored: datetime.date
    day: datetime.date

    template = "{p.date_known} to the {p.precision} is stored as its {p.bound} day ({p.stored}), not {p.day}."

    @property
    def date_known(self):
        return "A start known" if self.which == "start" else "An end known"

    @property
    def bound(self):
        return "last" if self.which == "start" else "first"

    @property
    def field(self):
        return f"{self.which}_date"


@dataclasses.dataclass(frozen=True)
class MovedToAnother(Problem):
    what: str  # "country" or "organization"

    template = "A period cannot move to another {p.what}; end it and record a new one."

    @property
    def field(self):
        return self.what


@dataclasses.dataclass(frozen=True)
class BadStatus(Problem):
    FIELD = "status"
    template = "The status is not one of the allowed statuses."
    constraints = ("membership_status_valid", "orgmembership_status_valid")
    refusal = template


@dataclasses.dataclass(frozen=True)
class SameStart(Problem):
    FIELD = "start_date"
    template = "This country already has a period in this organization starting on that day."
    constraints = ("membership_unique_country_organization_start",)
    refusal = template


# --- a membership period among the others -----------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BeforeFounding(Problem):
    organization: str
    founded: str  # as far as it is known: "1992" or "1992-06-15"
    start: datetime.date

    FIELD = "start_date"
    template = "{p.organization} was founded on {p.founded}; a membership cannot start before that (got {p.start})."


@dataclasses.dataclass(frozen=True)
class AfterDissolution(Problem):
    organization: str
    dissolved: datetime.date

    FIELD = "end_date"
    template = "{p.organization} was dissolved on {p.dissolved}; the membership must end by then."


@dataclasses.dataclass(frozen=True)
class Overlap(Problem):
    """Two periods of one state in one organization share a day: one status at a time."""

    country: str
    organization: str
    status: str
    start: datetime.date
    end: datetime.date | None

    FIELD = "start_date"
    template = (
        "{p.country} already has a period in {p.organization} ({p.status}, {p.period}) that overlaps this one; "
        "a state has one status in an organization at a time."
    )
    constraints = ("membership_no_overlapping_periods",)  # PostgreSQL's exclusion constraint (migration 0002)
    refusal = "This period overlaps another period of the same country in the same organization."

    @property
    def period(self):
        return describe_period(self.start, self.end)


@dataclasses.dataclass(frozen=True)
class RequirementGap(Problem):
    """A member of an organization that requires another is not a member of that one on a day."""

    organization: str
    required: str
    country: str
    day: datetime.date

    FIELD = "start_date"
    template = (
        "Members of {p.organization} must be members of {p.required}, "
        "but {p.country} is not a member of {p.required} on {p.day}."
    )


@dataclasses.dataclass(frozen=True)
class DependentUncovered(Problem):
    """Shortening or removing a period would leave a membership that requires it uncovered."""

    country: str
    dependent: str
    organization: str
    day: datetime.date

    FIELD = "end_date"
    template = (
        "{p.country} is a member of {p.dependent} on {p.day}, "
        "which requires membership of {p.organization} on that day."
    )


@dataclasses.dataclass(frozen=True)
class BeforeExistence(Problem):
    country: str
    exists_from: datetime.date
    start: datetime.date

    FIELD = "start_date"
    template = "{p.country} existed as a state from {p.exists_from}; a period cannot start before that (got {p.start})."


@dataclasses.dataclass(frozen=True)
class AfterExistence(Problem):
    country: str
    exists_to: datetime.date
    end: datetime.date | None

    FIELD = "end_date"
    template = "{p.country} existed as a state until {p.exists_to}; a period must end by then (got {p.shown_end})."

    @property
    def shown_end(self):
        return _day(self.end) if self.end else "ongoing"


@dataclasses.dataclass(frozen=True)
class OneSeat(Problem):
    """A continuation (the USSR → Russia) is one seat: the two states' periods in one organization share a day."""

    predecessor: str
    successor: str
    date: datetime.date
    organization: str
    predecessor_period: tuple
    successor_period: tuple

    FIELD = "start_date"
    template = (
        "{p.successor} continues {p.predecessor} from {p.date}: one seat, so {p.predecessor}'s period in "
        "{p.organization} ({p.before}) and {p.successor}'s ({p.after}) cannot share a day."
    )

    @property
    def before(self):
        return describe_period(*self.predecessor_period)

    @property
    def after(self):
        return describe_period(*self.successor_period)


# --- successions ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SelfSuccession(Problem):
    FIELD = "successor"
    template = "A state cannot succeed itself."
    constraints = ("succession_not_self",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class BadSuccessionKind(Problem):
    FIELD = "kind"
    template = "The kind is not one of the allowed kinds of succession."
    constraints = ("succession_kind_valid", "orgsuccession_kind_valid")
    refusal = template


@dataclasses.dataclass(frozen=True)
class SameSuccession(Problem):
    FIELD = "date"
    template = "This succession (same predecessor, successor and date) is already recorded."
    constraints = ("succession_unique_predecessor_successor_date",)
    refusal = template


# --- citations --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NeedsCitation(Problem):
    """A period with no citation; ``left`` names the periods a removal would leave bare (empty: a new one)."""

    left: tuple = ()

    FIELD = "citations"
    template = "A membership period needs at least one citation: a source and the sentence of it that says so.{p.which}"

    @property
    def which(self):
        if not self.left:
            return ""
        more = f" and {len(self.left) - 5} more" if len(self.left) > 5 else ""
        return f" This would leave none on: {', '.join(self.left[:5])}{more}."


@dataclasses.dataclass(frozen=True)
class EmptyQuote(Problem):
    FIELD = "quote"
    template = "Quote the sentence of the source that supports the fact."
    constraints = (
        "citation_quote_not_empty",
        "countrycitation_quote_not_empty",
        "orgmembershipcitation_quote_not_empty",
    )
    refusal = "A citation needs the quoted sentence."


@dataclasses.dataclass(frozen=True)
class CitationOrganization(Problem):
    FIELD = "organization"
    template = "The organization must be the membership's organization."


@dataclasses.dataclass(frozen=True)
class SourceCitedForMembership(Problem):
    FIELD = "source"
    template = "This source is already cited for this membership."
    constraints = ("citation_unique_source_membership",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class SourceCitedForOrganization(Problem):
    FIELD = "source"
    template = "This source is already cited for this organization."
    constraints = ("citation_unique_source_organization",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class SourceCitedForCountry(Problem):
    FIELD = "source"
    template = "This source is already cited for this country."
    constraints = ("countrycitation_unique_country_source",)
    refusal = template


# --- countries --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NoCode(Problem):
    FIELD = "code"
    template = "Give the ISO alpha-2 code (or, for a former state, its alpha-4 code)."


@dataclasses.dataclass(frozen=True)
class CodeFormat(Problem):
    FIELD = "code"
    template = "The code must be an ISO alpha-2 code (RO) or, for a former state, its ISO 3166-3 alpha-4 code (SUHH)."
    constraints = ("country_code_format",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class Iso2Format(Problem):
    FIELD = "iso2"
    template = "The ISO alpha-2 code must be two capital letters, e.g. RO."
    constraints = ("country_iso2_format",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class Iso3Format(Problem):
    FIELD = "iso3"
    template = "The ISO alpha-3 code must be three capital letters, e.g. ROU."
    constraints = ("country_iso3_format",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class NumericFormat(Problem):
    FIELD = "numeric"
    template = "The ISO numeric code must be three digits, e.g. 642."
    constraints = ("country_numeric_format",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class NumericTaken(Problem):
    numeric: str = ""

    FIELD = "numeric"
    template = "Country with this numeric code ({p.numeric}) already exists."
    constraints = ("country_numeric_unique_current",)
    refusal = "A current country with this numeric code already exists."


@dataclasses.dataclass(frozen=True)
class ExistenceReversed(Problem):
    FIELD = "exists_to"
    template = "The last day of existence is before the first."
    constraints = ("country_exists_to_after_from",)
    refusal = "The last day of existence must not be before the first."


@dataclasses.dataclass(frozen=True)
class PeriodOutsideExistence(Problem):
    """Changing a country's existence span would leave one of its stored periods outside it."""

    organization: str
    start: datetime.date
    end: datetime.date | None
    problem: Problem  # BeforeExistence or AfterExistence

    template = "{p.organization} period {p.period}: {p.problem.sentence}"

    @property
    def period(self):
        return describe_period(self.start, self.end)

    @property
    def field(self):
        return "exists_from" if isinstance(self.problem, BeforeExistence) else "exists_to"


# --- names ------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AliasEmpty(Problem):
    FIELD = "name"
    template = "An alias needs at least one letter or digit."
    constraints = ("countryalias_normalized_not_empty", "organizationalias_normalized_not_empty")
    refusal = template


@dataclasses.dataclass(frozen=True)
class AliasTaken(Problem):
    name: str
    owner: str

    FIELD = "name"
    template = "“{p.name}” is already an alias of {p.owner}."


@dataclasses.dataclass(frozen=True)
class AliasKey(Problem):
    """A stored lookup key that is not the normalized name (fixtures and stored rows are checked for it)."""

    name: str
    stored: str
    normalized: str

    FIELD = "normalized"
    template = "The lookup key of “{p.name}” is “{p.normalized}”, not “{p.stored}”."


# --- organizations ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DissolvedBeforeFounded(Problem):
    FIELD = "dissolved"
    template = "The dissolution date must not be before the founding date."
    constraints = ("organization_dissolved_after_founded",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class DormantOutsideLife(Problem):
    FIELD = "dormant_since"
    template = "A body is dormant between its founding and its dissolution."


@dataclasses.dataclass(frozen=True)
class RequiresItself(Problem):
    organization: str

    FIELD = "members_must_belong_to"
    template = "{p.organization} cannot require membership of itself."


@dataclasses.dataclass(frozen=True)
class RequirementBroken(Problem):
    """Adding a requirement the stored periods already break."""

    organization: str
    required: str
    count: int
    country: str
    day: datetime.date

    FIELD = "members_must_belong_to"
    template = (
        "{p.count} member period(s) of {p.organization} break the requirement of {p.required}, "
        "e.g. {p.country} is not a member of {p.required} on {p.day}."
    )


# --- an organization's own life: its memberships in others, its dated names, its successions ---


@dataclasses.dataclass(frozen=True)
class OrganizationItsOwnMember(Problem):
    """An organization recorded as a member of itself."""

    FIELD = "member"
    template = "An organization cannot be a member of itself."
    constraints = ("orgmembership_not_self",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class OrganizationSameStart(Problem):
    """Two periods of one organization in another that start on one day."""

    FIELD = "start_date"
    template = "This organization already has a period in that organization starting on that day."
    constraints = ("orgmembership_unique_member_organization_start",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class OrganizationOverlap(Problem):
    """Two periods of one organization in another that share a day (PostgreSQL's exclusion constraint)."""

    FIELD = "start_date"
    template = "This period overlaps another period of the same member in the same organization."
    constraints = ("orgmembership_no_overlapping_periods",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class SourceCitedForPeriod(Problem):
    """One source cited twice for an organization's period."""

    FIELD = "source"
    template = "This source is already cited for this period."
    constraints = ("orgmembershipcitation_unique_period_source",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class NameQuoteEmpty(Problem):
    """A dated name without its quote."""

    FIELD = "quote"
    template = "A name needs the quoted sentence that dates it."
    constraints = ("organizationname_quote_not_empty",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class NameDatesReversed(Problem):
    """A name used until before it was first used."""

    FIELD = "valid_to"
    template = "The last day must not be before the first."
    constraints = ("organizationname_to_not_before_from",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class SameName(Problem):
    """One name of one organization recorded twice from one day."""

    FIELD = "valid_from"
    template = "This name of this organization is already recorded from that day."
    constraints = ("organizationname_unique_organization_name_from",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class OrganizationSelfSuccession(Problem):
    """An organization recorded as its own successor."""

    FIELD = "successor"
    template = "An organization cannot succeed itself."
    constraints = ("orgsuccession_not_self",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class SuccessionQuoteEmpty(Problem):
    """An organization's succession without its quote."""

    FIELD = "quote"
    template = "A succession needs the quoted sentence."
    constraints = ("orgsuccession_quote_not_empty",)
    refusal = template


@dataclasses.dataclass(frozen=True)
class SameOrganizationSuccession(Problem):
    """One succession of organizations recorded twice."""

    FIELD = "successor"
    template = "This succession is already recorded."
    constraints = ("orgsuccession_unique_pair",)
    refusal = template
