"""Enumerations used by the models, the API and the admin."""

from django.db import models


class MembershipStatus(models.TextChoices):
    MEMBER = "member", "Member"
    CANDIDATE = "candidate", "Candidate"
    PARTNER = "partner", "Partner"
    OBSERVER = "observer", "Observer"
    SUSPENDED = "suspended", "Suspended"
    APPLICANT = "applicant", "Applicant"
    ASSOCIATE = "associate", "Associate"


# A status filter (API parameter, command option) names one or more statuses
# (comma-separated or repeated), or "all": every status.
ANY_STATUS = "all"
STATUS_FILTER_CHOICES = [*MembershipStatus.values, ANY_STATUS]
STATUS_HELP = (
    "Statuses to include: one of " + ", ".join(MembershipStatus.values) + ", a comma-separated list "
    "(`member,candidate`) or the parameter repeated; `all` for every status."
)


class UnknownStatus(ValueError):
    def __init__(self, value):
        super().__init__(
            f"Unknown status “{value[:50]}”; accepted: {', '.join(STATUS_FILTER_CHOICES)} "
            "(several separated by commas or repeated)."
        )


def statuses_for(raw_values, default=(MembershipStatus.MEMBER,)):
    """The statuses a filter selects, as ``selectors`` take them: a list, or None for every status.

    ``raw_values``: the filter's values as given (each may hold several, comma-separated);
    none given means ``default`` (None: every status). Raises UnknownStatus.
    """
    values = status_values(raw_values)
    if not values:
        return None if default is None else list(default)
    if values == [ANY_STATUS]:
        return None
    for value in values:
        if value not in MembershipStatus.values:
            raise UnknownStatus(value)
    return values


def status_values(raw_values):
    """The statuses a filter's raw values name, each once in the order given; ``[ANY_STATUS]`` if "all" is among them.

    Two filters with the same status values select the same periods and say so in
    the same order: the response caches key on these (alliances/platform/readkey.py).
    """
    values = [v.strip() for raw in raw_values if raw for v in raw.split(",") if v.strip()]
    if ANY_STATUS in values:
        return [ANY_STATUS]
    return list(dict.fromkeys(values))


def statuses_included(statuses):
    """What a list says it includes: the given statuses, or every one."""
    return list(MembershipStatus.values) if statuses is None else list(statuses)


class OrganizationKind(models.TextChoices):
    """What sort of body an organization is: the API's ``kind`` filter and the pages' groups, in this order."""

    UNIVERSAL = "universal", "Universal organization"
    SECURITY_ALLIANCE = "security_alliance", "Security alliance"
    ECONOMIC_TRADE = "economic_trade", "Economic or trade organization"
    POLITICAL_FORUM = "political_forum", "Political or regional forum"
    INFORMAL_CLUB = "informal_club", "Informal club"


class DatePrecision(models.TextChoices):
    """How much of a date is known (alliances/rules/periods.py says how each is stored and shown)."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class SourceKind(models.TextChoices):
    NEWS_ARTICLE = "news_article", "News article"
    OFFICIAL_PAGE = "official_page", "Official page"
    TREATY = "treaty", "Treaty"
    OFFICIAL_DOCUMENT = "official_document", "Official document"
    SECONDARY = "secondary", "Secondary source (copy or reference work)"


class SuccessionKind(models.TextChoices):
    CONTINUATION = "continuation", "Continuation (same state, holds the predecessor's seats)"
    DISSOLUTION = "dissolution", "Dissolution (the predecessor ceased to exist)"
    SECESSION = "secession", "Secession (the predecessor went on)"
    ABSORPTION = "absorption", "Absorption (the predecessor joined the successor)"


class OrganizationSuccessionKind(models.TextChoices):
    """How one organization followed another (a new name of the same body is an ``OrganizationName`` instead)."""

    REPLACED = "replaced", "Replaced by (the predecessor ended and the successor took its place)"
    FUNCTIONS_TRANSFERRED = "functions_transferred", "Functions transferred to (the successor took over its tasks)"
