"""Data model: countries, organizations, dated membership periods and their sources."""

from django.contrib.postgres.fields import DateRangeField
from django.core.validators import RegexValidator
from django.db import connections, models
from django.db.models import F, Q
from django.db.models.functions import Cast
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from alliances import organization_rules, validation
from alliances.choices import (
    DatePrecision,
    MembershipStatus,
    OrganizationKind,
    OrganizationSuccessionKind,
    SourceKind,
    SuccessionKind,
)
from alliances.opendata import crosswalks
from alliances.rules import periods, records
from alliances.rules import problems as P
from alliances.text import normalize_name


class NaturalKeyManager(models.Manager):
    """``get_by_natural_key`` for fixtures: the natural key's values, matched to these lookups in order."""

    def __init__(self, *lookups):
        super().__init__()
        self.natural_key_lookups = lookups

    def get_by_natural_key(self, *values):
        return self.get(**dict(zip(self.natural_key_lookups, values, strict=True)))


class Country(models.Model):
    """A state or territory of ISO 3166-1, or a former state of ISO 3166-3, identified by its code.

    ``code`` is the natural key: the alpha-2 code for today's states (RO), the
    four-letter ISO 3166-3 code for former states (SUHH for the USSR), since
    ISO reuses two-letter codes (CS was Czechoslovakia, then Serbia and Montenegro).
    """

    code = models.CharField(
        max_length=4,
        unique=True,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}([A-Z]{2})?$", "RO for a state, SUHH for a former state.")],
        help_text="The natural key: ISO 3166-1 alpha-2 (RO), or ISO 3166-3 alpha-4 for a former state (SUHH).",
    )
    iso2 = models.CharField(
        "ISO alpha-2",
        max_length=2,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", "Two capital letters, e.g. RO.")],
        help_text="ISO 3166-1 alpha-2 code, e.g. RO; empty for a former state (ISO reuses them).",
    )
    iso3 = models.CharField(
        "ISO alpha-3",
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", "Three capital letters, e.g. ROU.")],
        help_text="ISO 3166-1 alpha-3 code, e.g. ROU.",
    )
    numeric = models.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[0-9]{3}$", "Three digits, e.g. 642.")],
        help_text="ISO 3166-1 numeric code as three digits, e.g. 642.",
    )
    name = models.CharField(max_length=100, help_text="Short English name, e.g. Romania.")
    official_name = models.CharField(
        max_length=200, blank=True, help_text="Official English name, e.g. Republic of Moldova."
    )
    exists_from = models.DateField(
        null=True, blank=True, help_text="First day it existed as a state, where it matters (empty: before 1945)."
    )
    exists_to = models.DateField(null=True, blank=True, help_text="Last day it existed as a state; empty if it exists.")

    objects = NaturalKeyManager("code")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"
        constraints = [
            models.CheckConstraint(
                condition=Q(iso2__isnull=True) | Q(iso2__regex=r"^[A-Z]{2}$"),
                name="country_iso2_format",
                violation_error_message=P.Iso2Format.refusal,
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{2}([A-Z]{2})?$"),
                name="country_code_format",
                violation_error_message=P.CodeFormat.refusal,
            ),
            models.CheckConstraint(
                condition=Q(exists_from__isnull=True) | Q(exists_to__isnull=True) | Q(exists_to__gte=F("exists_from")),
                name="country_exists_to_after_from",
                violation_error_message=P.ExistenceReversed.refusal,
            ),
            # YUG and SCG share 891: numeric codes are unique among today's states only.
            models.UniqueConstraint(
                fields=["numeric"],
                condition=Q(exists_to__isnull=True),
                name="country_numeric_unique_current",
                violation_error_message=P.NumericTaken.refusal,
            ),
            models.CheckConstraint(
                condition=Q(iso3__regex=r"^[A-Z]{3}$"),
                name="country_iso3_format",
                violation_error_message=P.Iso3Format.refusal,
            ),
            models.CheckConstraint(
                condition=Q(numeric__regex=r"^[0-9]{3}$"),
                name="country_numeric_format",
                violation_error_message=P.NumericFormat.refusal,
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.code and self.iso2:
            self.code = self.iso2
        super().save(*args, **kwargs)

    def natural_key(self):
        return (self.code or self.iso2,)

    def clean(self):
        if not self.code and self.iso2:
            self.code = self.iso2
        found = records.country(self.code, None, None)  # the span is check_country's
        # The conditional unique constraint would only give a form-wide error; name the field, as before.
        if (
            self.numeric
            and self.exists_to is None
            and Country.objects.filter(numeric=self.numeric, exists_to__isnull=True).exclude(pk=self.pk).exists()
        ):
            found.append(P.NumericTaken(self.numeric))
        validation.refuse(found)
        validation.check_country(self)

    @property
    def cow_codes(self):
        """(COW state code, COW abbreviation) from the ``countrycode`` package (alliances/opendata/crosswalks.py)."""
        return crosswalks.cow_codes(self.iso2, self.name, self.official_name)

    @property
    def cow_code(self):
        return self.cow_codes[0]

    @property
    def cow_abbr(self):
        return self.cow_codes[1]


class AliasBase(models.Model):
    """A name a record is also known by; lookups compare the normalized form."""

    name = models.CharField(max_length=200, help_text="The name as written, e.g. Czech Republic.")
    normalized = models.CharField(
        max_length=200,
        unique=True,
        editable=False,
        help_text="Lookup key: lower case, no accents, no punctuation. Set from the name on validation.",
    )

    objects = NaturalKeyManager("normalized")

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.normalized,)

    def clean(self):
        validation.refuse(records.alias(self.name))
        self.normalized = normalize_name(self.name or "")
        clash = type(self).objects.filter(normalized=self.normalized).exclude(pk=self.pk).first()
        if clash is not None:
            validation.refuse([P.AliasTaken(self.name, str(clash.owner))])


class CountryAlias(AliasBase):
    """Another name of a country used for lookups: “Czech Republic” for Czechia."""

    country = models.ForeignKey(
        Country, on_delete=models.CASCADE, related_name="aliases", help_text="The country this name refers to."
    )

    class Meta(AliasBase.Meta):
        verbose_name_plural = "country aliases"
        constraints = [
            models.CheckConstraint(
                condition=~Q(normalized=""),
                name="countryalias_normalized_not_empty",
                violation_error_message=P.AliasEmpty.refusal,
            )
        ]

    owner_field = "country"

    @property
    def owner(self):
        return self.country


class Organization(models.Model):
    """An international organization or format whose members are states."""

    slug = models.SlugField(unique=True, help_text="Short identifier and natural key, e.g. nato.")
    acronym = models.CharField(max_length=20, help_text="Usual abbreviation, e.g. NATO.")
    name = models.CharField(max_length=200, unique=True, help_text="Full English name.")
    kind = models.CharField(max_length=40, choices=OrganizationKind.choices, help_text="What sort of body it is.")
    founded = models.DateField(help_text="Date it was founded; no membership may start before it.")
    founded_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How much of the founding date is known; a month or a year is stored as its last day.",
    )
    dissolved = models.DateField(null=True, blank=True, help_text="Date it was dissolved, if it was.")
    dormant_since = models.DateField(
        null=True,
        blank=True,
        help_text="First day it stopped meeting, although it still exists on paper (cite the source); empty if active.",
    )
    website = models.URLField(blank=True, help_text="Official website.")
    description = models.TextField(blank=True, help_text="One or two sentences on what it is.")
    cow_igo = models.CharField(
        "COW IGO abbreviation",
        max_length=30,
        blank=True,
        help_text="Its ``ioname`` in the Correlates of War IGO data set (v3), empty if COW does not code it.",
    )
    wikidata = models.CharField(
        "Wikidata ID",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*$", "A Wikidata item ID: Q and a number, e.g. Q7184.")],
        help_text="Its Wikidata item, e.g. Q7184.",
    )
    identifiers_source = models.TextField(
        blank=True, help_text="Where the COW IGO abbreviation and the Wikidata ID were taken from."
    )
    members_must_belong_to = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_by",
        help_text="Organizations every member of this one must also be a member of, on every day it is one.",
    )

    objects = NaturalKeyManager("slug")

    class Meta:
        ordering = ["acronym"]
        constraints = [
            models.CheckConstraint(
                condition=Q(dissolved__isnull=True) | Q(dissolved__gte=F("founded")),
                name="organization_dissolved_after_founded",
                violation_error_message=P.DissolvedBeforeFounded.refusal,
            ),
        ]

    def __str__(self):
        return self.acronym

    def natural_key(self):
        return (self.slug,)

    @property
    def earliest_founding(self):
        """The first day it may have been founded: a founding known to the year allows its 1 January."""
        return periods.earliest_day(self.founded, self.founded_precision)

    @property
    def founded_text(self):
        """The founding date as far as it is known: "1992-06-15", "1992-06" or "1992"."""
        return periods.shown(self.founded, self.founded_precision)

    def clean(self):
        # A founding known to the month or year is entered as any day of it and kept as its last day.
        self.founded = periods.latest_day(self.founded, self.founded_precision)
        validation.refuse(records.dormancy(self.founded, self.dissolved, self.dormant_since))


class OrganizationAlias(AliasBase):
    """Another name of an organization used for lookups: “Bucharest Format” for the B9."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="aliases",
        help_text="The organization this name refers to.",
    )

    class Meta(AliasBase.Meta):
        verbose_name_plural = "organization aliases"
        constraints = [
            models.CheckConstraint(
                condition=~Q(normalized=""),
                name="organizationalias_normalized_not_empty",
                violation_error_message=P.AliasEmpty.refusal,
            )
        ]

    owner_field = "organization"

    @property
    def owner(self):
        return self.organization


class InclusiveDateRange(models.Func):
    """daterange(start_date, end_date, '[]'): the expression the PostgreSQL GiST indexes cover."""

    function = "daterange"
    output_field = DateRangeField()

    def __init__(self, **extra):
        super().__init__(F("start_date"), F("end_date"), models.Value("[]"), **extra)


class MembershipQuerySet(models.QuerySet):
    def on(self, day):
        """Periods that include ``day`` (start and end are inclusive): ``alliances.rules.periods.contains`` in SQL."""
        if connections[self.db].vendor == "postgresql":
            # Same expression as the GiST indexes (migration 0007): a range index scan
            # instead of every period that started before ``day``.
            return self.alias(period=InclusiveDateRange()).filter(period__contains=day)
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)

    def of(self, *, country=None, organization=None):
        """Periods of ``country`` and/or ``organization`` (instances or ids), typed for the GiST indexes.

        On PostgreSQL the id is compared as a bigint: Django's client-side binding writes it as an
        integer literal, btree_gist has no integer = bigint operator, so the GiST indexes on
        (country, period) and (organization, period) were used for the period alone. At 1,000,000
        periods, a state's groups on a day took 3-45 ms that way and 0.1 ms on both columns.
        """
        typed = connections[self.db].vendor == "postgresql"
        filters = {}
        for name, value in (("country_id", country), ("organization_id", organization)):
            if value is None:
                continue
            pk = getattr(value, "pk", value)
            filters[name] = Cast(models.Value(pk), models.BigIntegerField()) if typed else pk
        return self.filter(**filters)

    def member_periods(self, country_id, organization_id, *, replacing=None):
        """The ``(start, end)`` periods in which the country is a member (status member) of the organization.

        ``replacing``: a membership being edited or removed; its stored row is
        left out and, when it is still a member period of that organization,
        its unsaved dates are counted instead.
        """
        periods = self.filter(country_id=country_id, organization_id=organization_id, status=MembershipStatus.MEMBER)
        if replacing is not None and replacing.pk is not None:
            periods = periods.exclude(pk=replacing.pk)
        result = list(periods.values_list("start_date", "end_date"))
        if (
            replacing is not None
            and replacing.organization_id == organization_id
            and replacing.status == MembershipStatus.MEMBER
        ):
            result.append((replacing.start_date, replacing.end_date))
        return result


class MembershipManager(NaturalKeyManager.from_queryset(MembershipQuerySet)):
    """Natural keys, and the period queries of ``MembershipQuerySet`` on ``Membership.objects``."""


class DatedPeriod(models.Model):
    """What every period does with its dates (a state's in an organization, an organization's in another).

    Each model declares its own ``start_date``, ``start_precision``, ``end_date`` and ``end_precision``
    (fields of an abstract base would come first in each model's field order, and so reorder every
    fixture). A start known only to the month or year is stored as the last day of it, an end as the
    first day of it: the days on which the period had certainly begun and had certainly not yet ended,
    so a period counts on a day only where it certainly covers it (``alliances.rules.periods``).
    """

    class Meta:
        abstract = True

    @property
    def is_ongoing(self):
        return self.end_date is None

    @property
    def start_text(self):
        """The start as far as it is known: "1992-06-15", "1992-06" or "1992"."""
        return periods.shown(self.start_date, self.start_precision)

    @property
    def end_text(self):
        """The end as far as it is known, or None while ongoing."""
        return periods.shown(self.end_date, self.end_precision)

    def bound_dates(self):
        """A date known to the month or year, entered as any day of it, kept as its certain bound."""
        self.start_date = periods.latest_day(self.start_date, self.start_precision)
        self.end_date = periods.earliest_day(self.end_date, self.end_precision)


class Membership(DatedPeriod):
    """One period during which a country held one status in an organization.

    A country is in the organization on day D when start_date <= D <= end_date
    (both inclusive; an empty end date means the period is ongoing). Periods of
    the same country in the same organization never overlap, whatever their status.
    """

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="memberships", help_text="The state.")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships", help_text="The organization."
    )
    status = models.CharField(
        max_length=20,
        choices=MembershipStatus.choices,
        default=MembershipStatus.MEMBER,
        help_text="The state's standing in the organization during this period.",
    )
    own_status = models.CharField(
        max_length=60,
        blank=True,
        help_text="The organization's own word for the status where it has one (“dialogue partner”, "
        "“associated state”, “participating state”); ``status`` is its place among the fixed statuses.",
    )
    founding = models.BooleanField(default=False, help_text="Whether the state was one of the founders.")
    start_date = models.DateField(
        help_text="First day of the period (inclusive). Known only to the month or year: the last day of that "
        "month or year, the first day on which the period had certainly begun."
    )
    start_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How much of the start is known: day, month or year.",
    )
    end_date = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of the period (inclusive); empty while it is ongoing. Known only to the month or "
        "year: the first day of that month or year, the last day on which it had certainly not yet ended.",
    )
    end_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How much of the end is known: day, month or year.",
    )
    note = models.TextField(
        blank=True,
        help_text="Curators' working note (which predecessor's seat this continues, what was searched): "
        "shown in the admin only, never on the site, the API or the downloads.",
    )

    objects = MembershipManager("country__code", "organization__slug", "start_date")

    class Meta:
        ordering = ["organization__acronym", "start_date", "country__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "organization", "start_date"],
                name="membership_unique_country_organization_start",
                violation_error_message=P.SameStart.refusal,
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="membership_end_not_before_start",
                violation_error_message=P.EndBeforeStart.refusal,
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values),
                name="membership_status_valid",
                violation_error_message=P.BadStatus.refusal,
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "start_date", "end_date"], name="membership_org_dates"),
            models.Index(fields=["country", "start_date", "end_date"], name="membership_country_dates"),
        ]

    def __str__(self):
        end = self.end_text or "ongoing"
        start = self.start_text or "?"
        country = self.country if self.country_id else "?"
        organization = self.organization if self.organization_id else "?"
        return f"{country} in {organization}: {self.status} {start} – {end}"

    def natural_key(self):
        return (self.country.code, self.organization.slug, self.start_date.isoformat())

    natural_key.dependencies = ["alliances.country", "alliances.organization"]

    def clean(self):
        self.bound_dates()
        validation.check_membership(self)


class Source(models.Model):
    """A document facts are taken from: a news article, an official page or a treaty."""

    slug = models.SlugField(unique=True, help_text="Short identifier and natural key, e.g. nato-member-countries.")
    title = models.CharField(max_length=300, help_text="Title of the document.")
    publisher = models.CharField(max_length=200, blank=True, help_text="Who published it, where known.")
    url = models.URLField(max_length=1000, blank=True, help_text="Where it can be read, where known.")
    published = models.DateField(null=True, blank=True, help_text="Publication date, where known for certain.")
    kind = models.CharField(max_length=30, choices=SourceKind.choices, help_text="What sort of document it is.")
    note = models.TextField(
        blank=True,
        help_text="Curators' working note (what is uncertain about it, how it was obtained): shown in the admin only.",
    )

    objects = NaturalKeyManager("slug")

    class Meta:
        ordering = ["title", "slug"]

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)


class CitationManager(NaturalKeyManager):
    """A citation of an organization has no membership: its natural key stops after the organization."""

    def __init__(self):
        super().__init__("source__slug", "organization__slug", "membership__country__code", "membership__start_date")

    def get_by_natural_key(self, source_slug, organization_slug, code=None, start_date=None):
        lookup = {"source__slug": source_slug, "organization__slug": organization_slug}
        if code is None:
            lookup["membership__isnull"] = True
        else:
            lookup.update(membership__country__code=code, membership__start_date=start_date)
        return self.get(**lookup)


class Citation(models.Model):
    """A quoted sentence from a source that supports an organization or a membership.

    A citation with a membership supports that period; one without supports a fact
    about the organization itself (its name, founding or existence).
    """

    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="citations", help_text="Where the quote comes from."
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        related_name="citations",
        help_text="The organization the fact is about (the membership's, when one is given).",
    )
    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="citations",
        null=True,
        blank=True,
        help_text="The membership period the quote supports; empty for a fact about the organization.",
    )
    quote = models.TextField(help_text="The sentence of the source, verbatim, that supports the fact.")

    objects = CitationManager()

    class Meta:
        ordering = ["source__title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quote=""), name="citation_quote_not_empty", violation_error_message=P.EmptyQuote.refusal
            ),
            models.UniqueConstraint(
                fields=["source", "membership"],
                condition=Q(membership__isnull=False),
                name="citation_unique_source_membership",
                violation_error_message=P.SourceCitedForMembership.refusal,
            ),
            models.UniqueConstraint(
                fields=["source", "organization"],
                condition=Q(membership__isnull=True),
                name="citation_unique_source_organization",
                violation_error_message=P.SourceCitedForOrganization.refusal,
            ),
        ]

    def __str__(self):
        return f"{self.source}: “{self.quote[:60]}”"

    def natural_key(self):
        if self.membership_id is None:
            return (self.source.slug, self.organization.slug, None, None)
        return (
            self.source.slug,
            self.organization.slug,
            self.membership.country.code,
            self.membership.start_date.isoformat(),
        )

    natural_key.dependencies = ["alliances.source", "alliances.organization", "alliances.membership"]

    def clean(self):
        validation.check_citation(self)


@receiver(pre_delete, sender=Citation, dispatch_uid="citation_removal_keeps_periods_cited")
def _citation_removal_guard(sender, instance, origin=None, **kwargs):
    """Deleting citations themselves (one, or "delete selected") never leaves a period without one.

    On every path that deletes through the ORM (admin pages, inlines, actions, the shell).
    Deleting a period, an organization or a country takes its citations with it: ``origin``
    (what the delete was called on) tells the two apart.
    """
    if isinstance(origin, Citation):
        validation.check_citation_removal([origin])
    elif isinstance(origin, models.QuerySet) and origin.model is Citation and not getattr(origin, "_checked", False):
        origin._checked = True  # called once per row: the rule is checked once for the whole set
        validation.check_citation_removal(list(origin))


class CountryCitation(models.Model):
    """A quoted sentence that supports a country's existence span (``exists_from`` / ``exists_to``)."""

    country = models.ForeignKey(
        Country, on_delete=models.CASCADE, related_name="existence_citations", help_text="The state."
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="country_citations", help_text="Where the quote comes from."
    )
    quote = models.TextField(help_text="The sentence of the source, verbatim, that dates the state's beginning or end.")

    objects = NaturalKeyManager("country__code", "source__slug")

    class Meta:
        ordering = ["country__name", "source__title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="countrycitation_quote_not_empty",
                violation_error_message=P.EmptyQuote.refusal,
            ),
            models.UniqueConstraint(
                fields=["country", "source"],
                name="countrycitation_unique_country_source",
                violation_error_message=P.SourceCitedForCountry.refusal,
            ),
        ]

    def __str__(self):
        return f"{self.country}: {self.source}"

    def natural_key(self):
        return (self.country.code, self.source.slug)

    natural_key.dependencies = ["alliances.country", "alliances.source"]


class Succession(models.Model):
    """One state succeeding another on a day.

    ``continuation``: the successor is the same international person under a
    new name or shape and holds the predecessor's seats (Russia for the USSR);
    ``dissolution``: the predecessor ceased to exist and the successor is new
    (Czechoslovakia into the Czech Republic and Slovakia); ``secession``: the
    successor broke away while the predecessor went on; ``absorption``: the
    predecessor joined the successor (the GDR into the Federal Republic).
    """

    predecessor = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="successor_links", help_text="The earlier state."
    )
    successor = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="predecessor_links", help_text="The later state."
    )
    date = models.DateField(help_text="The successor's first day in its new role.")
    kind = models.CharField(max_length=20, choices=SuccessionKind.choices, help_text="What sort of succession.")
    note = models.TextField(
        blank=True, help_text="Curators' working note (context, other sources): shown in the admin only."
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="successions",
        null=True,
        blank=True,
        help_text="Where the quote comes from.",
    )
    quote = models.TextField(blank=True, help_text="The sentence of the source, verbatim, that supports it.")

    objects = NaturalKeyManager("predecessor__code", "successor__code", "date")

    class Meta:
        ordering = ["date", "predecessor__name", "successor__name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")),
                name="succession_not_self",
                violation_error_message=P.SelfSuccession.refusal,
            ),
            models.UniqueConstraint(
                fields=["predecessor", "successor", "date"],
                name="succession_unique_predecessor_successor_date",
                violation_error_message=P.SameSuccession.refusal,
            ),
            models.CheckConstraint(
                condition=Q(kind__in=SuccessionKind.values),
                name="succession_kind_valid",
                violation_error_message=P.BadSuccessionKind.refusal,
            ),
        ]

    def __str__(self):
        predecessor = self.predecessor if self.predecessor_id else "?"
        successor = self.successor if self.successor_id else "?"
        return f"{predecessor} → {successor} ({self.kind}, {self.date})"

    def natural_key(self):
        return (self.predecessor.code, self.successor.code, self.date.isoformat())

    natural_key.dependencies = ["alliances.country", "alliances.source"]

    def clean(self):
        validation.check_succession(self)


class OrganizationMembershipQuerySet(models.QuerySet):
    def on(self, day):
        """Periods that certainly include ``day`` (start and end are inclusive and stored as certain bounds)."""
        return self.filter(Q(end_date__isnull=True) | Q(end_date__gte=day), start_date__lte=day)


class OrganizationMembership(DatedPeriod):
    """One period during which an organization was itself a member of another (the EU in the G20, the WTO).

    A separate table from ``Membership`` so that everything about states (state counts, the COW
    panel, ``not_member_of``, the existence and continuation rules) stays about states. The same
    date convention: a start known to the month or year is stored as its last day, an end as its
    first day, so a period counts on a day only where it certainly covers it.
    """

    member = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="organization_memberships",
        help_text="The organization that is a member (the EU).",
    )
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="organization_members",
        help_text="The organization it is a member of (the G20).",
    )
    status = models.CharField(
        max_length=20,
        choices=MembershipStatus.choices,
        default=MembershipStatus.MEMBER,
        help_text="The member's standing in the organization during this period.",
    )
    own_status = models.CharField(
        max_length=120,
        blank=True,
        help_text="The organization's own word for the status (“permanent member”, “Contracting Party”).",
    )
    founding = models.BooleanField(default=False, help_text="Whether it was one of the founders.")
    start_date = models.DateField(
        help_text="First day of the period (inclusive); known only to the month or year: the last day of it."
    )
    start_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How much of the start is known.",
    )
    end_date = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of the period (inclusive), empty while ongoing; known only to the month or year: the "
        "first day of it.",
    )
    end_precision = models.CharField(
        max_length=5,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How much of the end is known.",
    )
    note = models.TextField(
        blank=True,
        help_text="Curators' working note (who represents the member, the predecessor body): shown in the admin only.",
    )

    objects = NaturalKeyManager.from_queryset(OrganizationMembershipQuerySet)(
        "member__slug", "organization__slug", "start_date"
    )

    class Meta:
        ordering = ["organization__acronym", "start_date", "member__acronym"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(member=F("organization")),
                name="orgmembership_not_self",
                violation_error_message=P.OrganizationItsOwnMember.refusal,
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="orgmembership_end_not_before_start",
                violation_error_message=P.EndBeforeStart.refusal,
            ),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values),
                name="orgmembership_status_valid",
                violation_error_message=P.BadStatus.refusal,
            ),
            models.UniqueConstraint(
                fields=["member", "organization", "start_date"],
                name="orgmembership_unique_member_organization_start",
                violation_error_message=P.OrganizationSameStart.refusal,
            ),
        ]

    def __str__(self):
        member = self.member if self.member_id else "?"
        organization = self.organization if self.organization_id else "?"
        return f"{member} in {organization}: {self.status} {self.start_text or '?'} – {self.end_text or 'ongoing'}"

    def natural_key(self):
        return (self.member.slug, self.organization.slug, self.start_date.isoformat())

    natural_key.dependencies = ["alliances.organization"]

    def clean(self):
        self.bound_dates()
        organization_rules.check_organization_membership(self)


class OrganizationMembershipCitation(models.Model):
    """A quoted sentence from a source that supports an organization's membership period."""

    period = models.ForeignKey(
        OrganizationMembership,
        on_delete=models.CASCADE,
        related_name="citations",
        help_text="The organization's membership period the quote supports.",
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="organization_membership_citations",
        help_text="Where the quote comes from.",
    )
    quote = models.TextField(help_text="The sentence of the source, verbatim, that supports the period.")

    objects = NaturalKeyManager(
        "period__member__slug", "period__organization__slug", "period__start_date", "source__slug"
    )

    class Meta:
        ordering = ["source__title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="orgmembershipcitation_quote_not_empty",
                violation_error_message=P.EmptyQuote.refusal,
            ),
            models.UniqueConstraint(
                fields=["period", "source"],
                name="orgmembershipcitation_unique_period_source",
                violation_error_message=P.SourceCitedForPeriod.refusal,
            ),
        ]

    def __str__(self):
        return f"{self.source}: “{self.quote[:60]}”"

    def natural_key(self):
        return (*self.period.natural_key(), self.source.slug)

    natural_key.dependencies = ["alliances.source", "alliances.organizationmembership"]


class OrganizationName(models.Model):
    """A name an organization bore for a dated span: the CSCE until 1994, the OSCE from 1995."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="names", help_text="The organization that bore the name."
    )
    name = models.CharField(max_length=200, help_text="The name as written, e.g. Conference on Security and …")
    acronym = models.CharField(max_length=20, blank=True, help_text="Its abbreviation then, e.g. CSCE.")
    valid_from = models.DateField(
        help_text="First day it bore the name; known only to the month or year: the last day."
    )
    valid_from_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY, help_text="How much of it is known."
    )
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text="Last day it bore the name, empty if it still does; known only to the month or year: the first day.",
    )
    valid_to_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY, help_text="How much of it is known."
    )
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="organization_names", help_text="Where the quote comes from."
    )
    quote = models.TextField(help_text="The sentence of the source, verbatim, that names and dates it.")

    objects = NaturalKeyManager("organization__slug", "name", "valid_from")

    class Meta:
        ordering = ["organization__acronym", "valid_from", "name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="organizationname_quote_not_empty",
                violation_error_message=P.NameQuoteEmpty.refusal,
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="organizationname_to_not_before_from",
                violation_error_message=P.NameDatesReversed.refusal,
            ),
            models.UniqueConstraint(
                fields=["organization", "name", "valid_from"],
                name="organizationname_unique_organization_name_from",
                violation_error_message=P.SameName.refusal,
            ),
        ]

    def __str__(self):
        return f"{self.acronym or self.name} ({self.from_text} – {self.to_text or 'today'})"

    def natural_key(self):
        return (self.organization.slug, self.name, self.valid_from.isoformat())

    natural_key.dependencies = ["alliances.organization", "alliances.source"]

    @property
    def from_text(self):
        return periods.shown(self.valid_from, self.valid_from_precision)

    @property
    def to_text(self):
        return periods.shown(self.valid_to, self.valid_to_precision)

    def clean(self):
        if self.valid_from is not None:
            self.valid_from = periods.latest_day(self.valid_from, self.valid_from_precision)
        self.valid_to = periods.earliest_day(self.valid_to, self.valid_to_precision)
        organization_rules.check_organization_name(self)


class OrganizationSuccession(models.Model):
    """One organization following another: the OEEC replaced by the OECD, the WEU's functions to the EU."""

    predecessor = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="successor_links", help_text="The earlier organization."
    )
    successor = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="predecessor_links", help_text="The later organization."
    )
    date = models.DateField(
        help_text="The successor's first day in the predecessor's place; a month or year: its last day."
    )
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY, help_text="How much of it is known."
    )
    kind = models.CharField(
        max_length=30, choices=OrganizationSuccessionKind.choices, help_text="What sort of succession."
    )
    note = models.TextField(blank=True, help_text="Curators' working note: shown in the admin only.")
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        related_name="organization_successions",
        help_text="Where the quote comes from.",
    )
    quote = models.TextField(help_text="The sentence of the source, verbatim, that supports it.")

    objects = NaturalKeyManager("predecessor__slug", "successor__slug")

    class Meta:
        ordering = ["date", "predecessor__acronym"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")),
                name="orgsuccession_not_self",
                violation_error_message=P.OrganizationSelfSuccession.refusal,
            ),
            models.CheckConstraint(
                condition=~Q(quote=""),
                name="orgsuccession_quote_not_empty",
                violation_error_message=P.SuccessionQuoteEmpty.refusal,
            ),
            models.CheckConstraint(
                condition=Q(kind__in=OrganizationSuccessionKind.values),
                name="orgsuccession_kind_valid",
                violation_error_message=P.BadSuccessionKind.refusal,
            ),
            models.UniqueConstraint(
                fields=["predecessor", "successor"],
                name="orgsuccession_unique_pair",
                violation_error_message=P.SameOrganizationSuccession.refusal,
            ),
        ]

    def __str__(self):
        predecessor = self.predecessor if self.predecessor_id else "?"
        successor = self.successor if self.successor_id else "?"
        return f"{predecessor} → {successor} ({self.get_kind_display().split(' (')[0].lower()}, {self.date_text})"

    def natural_key(self):
        return (self.predecessor.slug, self.successor.slug)

    natural_key.dependencies = ["alliances.organization", "alliances.source"]

    @property
    def date_text(self):
        return periods.shown(self.date, self.date_precision)

    def clean(self):
        if self.date is not None:
            self.date = periods.latest_day(self.date, self.date_precision)
        organization_rules.check_organization_succession(self)


class AuditEvent(models.Model):
    """One change to an audited row, written by a database trigger, never by Python.

    Triggers (migration 0003) catch every write path: admin, API, loaders,
    ``QuerySet.update()``, ``bulk_create()`` and raw SQL. Updates that change no
    value leave no event, so reloading the fixtures records nothing.
    """

    table = models.CharField(max_length=63, help_text="Database table of the changed row.")
    row_id = models.BigIntegerField(help_text="Primary key of the changed row.")
    operation = models.CharField(
        max_length=6,
        choices=[("insert", "insert"), ("update", "update"), ("delete", "delete")],
        help_text="What happened to the row.",
    )
    before = models.JSONField(null=True, blank=True, help_text="Column values before the change (none for an insert).")
    after = models.JSONField(null=True, blank=True, help_text="Column values after the change (none for a delete).")
    actor = models.CharField(
        max_length=150, blank=True, default="", help_text="Who made the change: a username, or a process name."
    )
    at = models.DateTimeField(help_text="When the change was made (UTC).")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["table", "row_id", "id"], name="auditevent_row")]

    def __str__(self):
        return f"{self.operation} {self.table} #{self.row_id} by {self.actor or 'unknown'} at {self.at:%Y-%m-%d %H:%M}"

    def changes(self):
        """The columns whose value changed, in column order: ``{column: (before, after)}``."""
        before, after = self.before or {}, self.after or {}
        return {
            key: (before.get(key), after.get(key))
            for key in dict.fromkeys([*before, *after])
            if before.get(key) != after.get(key)
        }


class AuditContext(models.Model):
    """Who is writing, for the SQLite triggers (PostgreSQL keeps it in a transaction setting).

    SQLite has one writer at a time, so the single row set inside a write
    transaction names the actor of exactly that transaction.
    """

    actor = models.CharField(max_length=150, blank=True, default="", help_text="Current writer.")

    def __str__(self):
        return self.actor or "(nobody)"
