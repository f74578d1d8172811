"""API representations. Reads are flat and prefetched; writes go through services.

A record's input (what a write reads) and output (what every answer shows)
serializers are named as such; their OpenAPI components keep their published
names (``Country``, ``CountryWrite``, ...) through ``component_name``, so the
schema, and the clients generated from it, do not change with the class names.
"""

from django.core import serializers as django_serializers
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from alliances import names, selectors, services
from alliances.choices import (
    STATUS_HELP,
    MembershipStatus,
    SuccessionKind,
    UnknownStatus,
    statuses_for,
    statuses_included,
)
from alliances.models import AuditEvent, Citation, Country, Membership, Organization, Source
from alliances.rules import periods
from alliances.store import concurrency

# The serializer context key that adds the curators' working notes: set for a signed-in curator's answer
# about one record (alliances.api.views), never for a list or an anonymous reader.
CURATOR = "curator"
CURATORS_NOTE_HELP = "Curators' working note: in the answers to signed-in curators about one record only."
CURATORS_FIELDS = ("note",)


def for_the_public(data):
    """``data`` (a record's representation, or its columns in an audit event) without the curators' fields."""
    return {key: value for key, value in data.items() if key not in CURATORS_FIELDS}


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "pattern": r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        "description": "A date as far as it is known: 1992-06-15, 1992-06 (the month) or 1992 (the year).",
    }
)
class PreciseDateField(serializers.Field):
    """A date shown only as far as it is known (``periods.shown``): never a day that is not known."""

    def __init__(self, date_attr, precision_attr, **kwargs):
        self.date_attr, self.precision_attr = date_attr, precision_attr
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        return periods.shown(getattr(instance, self.date_attr), getattr(instance, self.precision_attr))


class CountryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = ["code", "iso2", "name"]


class CowCodesMixin(serializers.Serializer):
    cow_code = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Correlates of War state code (from the countrycode package)."
    )
    cow_abbr = serializers.CharField(
        read_only=True, allow_null=True, help_text="Correlates of War state abbreviation, e.g. ROM."
    )


# A country's own fields; the full representation adds its names and successions.
COUNTRY_FIELDS = [
    "code",
    "iso2",
    "iso3",
    "numeric",
    "name",
    "official_name",
    "exists_from",
    "exists_to",
    "cow_code",
    "cow_abbr",
]


class CountryHeaderSerializer(CowCodesMixin, serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = COUNTRY_FIELDS


class OrganizationBriefSerializer(serializers.ModelSerializer):
    """An organization where a membership names it: what it is, and whether it still meets."""

    class Meta:
        model = Organization
        fields = ["slug", "acronym", "name", "kind", "dissolved", "dormant_since"]


class SlugRelatedField(serializers.SlugRelatedField):
    """A slug with a NUL character names nothing; PostgreSQL would refuse the lookup with a 500."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


def snapshot_record(field, instance):
    """The in-process snapshot's copy of ``instance`` (see alliances.names), or None."""
    snap = field.context.get("snapshot") or names.snapshot()
    registry = snap.countries if isinstance(instance, Country) else snap.organizations
    return registry.get(instance.pk)


class SnapshotListField(serializers.ListField):
    """A list ``names.attach_names`` computes (``attribute``), read from the snapshot, not per row."""

    attribute = None

    def get_attribute(self, instance):
        values = getattr(instance, self.attribute, None)
        if values is None:
            record = snapshot_record(self, instance)
            values = getattr(record, self.attribute) if record is not None else []
        return values


class AliasNamesField(SnapshotListField):
    """The other names of a record, without its own name."""

    child = serializers.CharField()
    attribute = "alias_names"


class RequiredSlugsField(SnapshotListField):
    """Slugs of the organizations every member must also belong to."""

    child = serializers.SlugField()
    attribute = "required_slugs"


class SuccessionLinkSerializer(serializers.Serializer):
    """The other state of a succession: who came before, or after, this one."""

    code = serializers.CharField()
    name = serializers.CharField()
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=SuccessionKind.choices)


class PredecessorsField(SnapshotListField):
    """States this one succeeded (from the snapshot: no query per row)."""

    child = SuccessionLinkSerializer()
    attribute = "predecessor_items"


class SuccessorsField(SnapshotListField):
    """States that succeeded this one (from the snapshot: no query per row)."""

    child = SuccessionLinkSerializer()
    attribute = "successor_items"


@extend_schema_serializer(component_name="Country")
class CountryOutputSerializer(CowCodesMixin, serializers.ModelSerializer):
    aliases = AliasNamesField(read_only=True)
    predecessors = PredecessorsField(read_only=True)
    successors = SuccessorsField(read_only=True)

    class Meta:
        model = Country
        fields = [
            *COUNTRY_FIELDS,
            "aliases",
            "predecessors",
            "successors",
        ]


# What an organization is, read and written alike; the output adds aliases and today's member count.
ORGANIZATION_FIELDS = [
    "slug",
    "acronym",
    "name",
    "kind",
    "founded",
    "founded_precision",
    "dissolved",
    "dormant_since",
    "website",
    "description",
    "cow_igo",
    "wikidata",
    "identifiers_source",
    "members_must_belong_to",
]


@extend_schema_serializer(component_name="Organization")
class OrganizationOutputSerializer(serializers.ModelSerializer):
    aliases = AliasNamesField(read_only=True)
    member_count = serializers.IntegerField(read_only=True, help_text="Number of members today.")
    founded = PreciseDateField("founded", "founded_precision", help_text="When it was founded, as far as known.")
    members_must_belong_to = RequiredSlugsField(
        read_only=True, help_text="Slugs of the organizations every member must also belong to."
    )

    class Meta:
        model = Organization
        fields = [*ORGANIZATION_FIELDS, "aliases", "member_count"]


@extend_schema_serializer(component_name="OrganizationWrite")
class OrganizationInputSerializer(serializers.ModelSerializer):
    """Create or change an organization; answers with the read representation."""

    members_must_belong_to = SlugRelatedField(
        many=True,
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        help_text="Slugs of the organizations every member must also belong to.",
    )

    class Meta:
        model = Organization
        fields = ORGANIZATION_FIELDS

    def create(self, validated_data):
        required = validated_data.pop("members_must_belong_to", [])
        organization = services.named_record_save(Organization(), **validated_data)
        services.set_requirements(organization, required)
        return organization

    def update(self, instance, validated_data):
        required = validated_data.pop("members_must_belong_to", None)
        services.named_record_save(instance, **validated_data)
        if required is not None:
            services.set_requirements(instance, required)
        return instance

    def to_representation(self, instance):
        # Re-read (inside the write's transaction, so not from the snapshot) for
        # member_count, aliases and requirements as every other read shows them.
        return OrganizationOutputSerializer(current_record(Organization, instance.pk), context=self.context).data


@extend_schema_serializer(component_name="Citation")
class CitationOutputSerializer(serializers.ModelSerializer):
    """A source with the sentence quoted from it."""

    title = serializers.CharField(source="source.title", read_only=True)
    publisher = serializers.CharField(source="source.publisher", read_only=True)
    url = serializers.CharField(source="source.url", read_only=True)
    published = serializers.DateField(source="source.published", read_only=True, allow_null=True)
    kind = serializers.CharField(
        source="source.kind",
        read_only=True,
        help_text="What sort of source: official_page, treaty, official_document, news_article or secondary.",
    )

    class Meta:
        model = Citation
        fields = ["title", "publisher", "url", "published", "kind", "quote"]


def _date(value):
    return value.isoformat() if value is not None else None


@extend_schema_serializer(component_name="Membership")
class MembershipOutputSerializer(serializers.ModelSerializer):
    """A membership period with its country, organization and sources.

    The declared fields define the contract (and the OpenAPI schema);
    ``to_representation`` builds the same dictionary directly, because building
    DRF field objects per row was most of an uncached request's time.
    tests/test_api_read.py checks both give identical output for every period.
    """

    country = CountryBriefSerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    sources = CitationOutputSerializer(source="cited", many=True, read_only=True)
    start_date = PreciseDateField("start_date", "start_precision", help_text="First day, as far as known.")
    end_date = PreciseDateField("end_date", "end_precision", help_text="Last day, as far as known; null: ongoing.")
    note = serializers.CharField(required=False, help_text=CURATORS_NOTE_HELP)  # present for curators only

    class Meta:
        model = Membership
        fields = [
            "id",
            "country",
            "organization",
            "status",
            "own_status",
            "founding",
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
            "note",
            "sources",
        ]

    def to_representation(self, m):
        country, organization = m.country, m.organization
        return {
            "id": m.pk,
            "country": {"code": country.code, "iso2": country.iso2, "name": country.name},
            "organization": {
                "slug": organization.slug,
                "acronym": organization.acronym,
                "name": organization.name,
                "kind": organization.kind,
                "dissolved": _date(organization.dissolved),
                "dormant_since": _date(organization.dormant_since),
            },
            "status": m.status,
            "own_status": m.own_status,
            "founding": m.founding,
            "start_date": periods.shown(m.start_date, m.start_precision),
            "start_precision": m.start_precision,
            "end_date": periods.shown(m.end_date, m.end_precision),
            "end_precision": m.end_precision,
            **({"note": m.note} if self.context.get(CURATOR) else {}),
            "sources": [
                {
                    "title": c.source.title,
                    "publisher": c.source.publisher,
                    "url": c.source.url,
                    "published": _date(c.source.published),
                    "kind": c.source.kind,
                    "quote": c.quote,
                }
                for c in selectors.cited(m)
            ],
        }

    def field_based_representation(self, m):
        """DRF's generic rendering of the declared fields, for the equivalence test (the note for curators only)."""
        data = super().to_representation(m)
        return data if self.context.get(CURATOR) else for_the_public(data)


class DayField(serializers.DateField):
    """A day in a query (``as_of``, ``from``, ``to``), read by ``periods.parse_day`` like every other door."""

    def to_internal_value(self, value):
        try:
            return periods.parse_day(value)
        except periods.NotADay as exc:
            raise serializers.ValidationError(str(exc)) from exc


class IdentifierField(serializers.CharField):
    """A country or organization named by any code, name or alias."""

    def __init__(self, resolve, **kwargs):
        self.resolve = resolve
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) > selectors.MAX_IDENTIFIER_LENGTH:
            raise serializers.ValidationError(
                f"An identifier has at most {selectors.MAX_IDENTIFIER_LENGTH} characters."
            )
        try:
            return self.resolve(text)
        except selectors.NotFound as exc:
            raise serializers.ValidationError(exc.with_hint()) from exc

    def to_representation(self, value):
        return str(value)


class CitationInputSerializer(serializers.Serializer):
    source = SlugRelatedField(slug_field="slug", queryset=Source.objects.all())
    quote = serializers.CharField(max_length=5000)


@extend_schema_serializer(component_name="MembershipWrite")
class MembershipInputSerializer(serializers.ModelSerializer):
    """Create or change a membership period; every rule of the admin applies."""

    country = IdentifierField(selectors.country_resolve, help_text="Country code, name or alias, e.g. RO.")
    organization = IdentifierField(selectors.organization_resolve, help_text="Organization slug, acronym or name.")
    citations = CitationInputSerializer(many=True, required=False, write_only=True)

    class Meta:
        model = Membership
        # No unique-together validator of DRF's: it would answer a repeated start with the constraint's
        # sentence as a form-wide error; the rulebook answers first (the overlap, on start_date), and a
        # concurrent duplicate is the constraint's refusal on start_date (alliances/store/constraints.py).
        validators = []
        fields = [
            "country",
            "organization",
            "status",
            "own_status",
            "founding",
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
            "note",
            "citations",
        ]

    def create(self, validated_data):
        citations = [(c["source"], c["quote"]) for c in validated_data.pop("citations", [])]
        return services.membership_create(**validated_data, citations=citations)

    def update(self, instance, validated_data):
        validated_data.pop("citations", None)
        return services.membership_update(membership=instance, **validated_data)

    def to_representation(self, instance):
        return MembershipOutputSerializer(current_record(Membership, instance.pk), context=self.context).data


@extend_schema_serializer(component_name="CountryWrite")
class CountryInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Country
        fields = ["code", "iso2", "iso3", "numeric", "name", "official_name", "exists_from", "exists_to"]

    def create(self, validated_data):
        return services.named_record_save(Country(), **validated_data)

    def update(self, instance, validated_data):
        return services.named_record_save(instance, **validated_data)

    def to_representation(self, instance):
        return CountryOutputSerializer(current_record(Country, instance.pk), context=self.context).data


class SourceSerializer(serializers.ModelSerializer):
    note = serializers.CharField(required=False, allow_blank=True, help_text=CURATORS_NOTE_HELP)

    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "published", "kind", "note"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        return data if self.context.get(CURATOR) else for_the_public(data)

    def create(self, validated_data):
        return services.record_save(Source(), **validated_data)

    def update(self, instance, validated_data):
        return services.record_save(instance, **validated_data)


# The representation a GET of one record gives, by model (the records the API serves).
OUTPUT_SERIALIZERS = {
    Country: CountryOutputSerializer,
    Organization: OrganizationOutputSerializer,
    Membership: MembershipOutputSerializer,
    Source: SourceSerializer,
}


def record_queryset(model):
    """The rows of ``model`` as a GET of one of them reads them, with what its representation shows."""
    if model is Country:
        return Country.objects.prefetch_related("aliases", *names.history_prefetches())
    if model is Organization:
        return selectors.organization_list().prefetch_related("aliases", "members_must_belong_to")
    if model is Membership:
        return selectors.membership_list(statuses=None)
    return model._default_manager.all()


def current_record(model, pk, *, lock=False):
    """Row ``pk`` of ``model`` as a GET of it shows it now, or None if it no longer exists.

    Read from the database, not from the request's snapshot: a write may just
    have changed its names. ``lock`` holds the row until the transaction ends
    (PostgreSQL), so no other write slips between a check and the save.
    """
    queryset = record_queryset(model)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    record = queryset.filter(pk=pk).first()
    if record is not None and model in (Country, Organization):
        names.attach_names(record)
    return record


def record_token(model, pk, *, lock=True):
    """The lost-update token of a record, for the API's If-Match and the admin's change form alike.

    The ETag of the JSON body a GET of the record gives (alliances/store/concurrency.py
    says why this token); a record the API does not serve (an alias, a citation,
    a succession) hashes its stored fields. None once the record is gone.
    """
    record = current_record(model, pk, lock=lock)
    if record is None:
        return None
    serializer = OUTPUT_SERIALIZERS.get(model)
    if serializer is None:
        return concurrency.token_of(django_serializers.serialize("json", [record]).encode())
    # What a curator's GET of the record gives: with the working note, so an edit of the note alone is
    # a change a second writer must see.
    return concurrency.token_of(JSONRenderer().render(serializer(record, context={CURATOR: True}).data))


def parse_statuses(query_params, default=(MembershipStatus.MEMBER,)):
    """The statuses a query asks for (``choices.statuses_for``); an unknown one is a 400 naming the accepted."""
    try:
        return statuses_for(query_params.getlist("status"), default)
    except UnknownStatus as exc:
        raise serializers.ValidationError({"status": [str(exc)]}) from exc


__all__ = ["parse_statuses", "statuses_included"]


class MembershipQuerySerializer(serializers.Serializer):
    """Query parameters of the “which groups / who is in” questions."""

    as_of = DayField(
        required=False, help_text="Day to answer for, YYYY-MM-DD; default today. Ignored with history=true."
    )
    status = serializers.CharField(required=False, help_text=STATUS_HELP + " Default member.")
    history = serializers.BooleanField(
        default=False, help_text="true: every period whatever its dates (then as_of is null)."
    )
    include_possible = serializers.BooleanField(
        default=False,
        help_text="true: add the periods that only possibly cover the day (it lies in the month or year their start "
        "or end is known to), each marked certainty: possible, the others certain. Ignored with history=true.",
    )


class CountryMembershipQuerySerializer(MembershipQuerySerializer):
    """The “which groups is this country in” question, optionally about one organization."""

    organization = IdentifierField(
        selectors.organization_resolve,
        required=False,
        help_text="Only this organization (slug, acronym, name or alias).",
    )


class ChangesQuerySerializer(serializers.Serializer):
    date_from = DayField(required=False, help_text="First day, YYYY-MM-DD; default the founding date.")
    date_to = DayField(required=False, help_text="Last day, YYYY-MM-DD; default today.")

    def to_internal_value(self, data):
        renamed = {"date_from": data.get("from"), "date_to": data.get("to")}
        try:
            values = super().to_internal_value({k: v for k, v in renamed.items() if v is not None})
        except serializers.ValidationError as exc:
            names = {"date_from": "from", "date_to": "to"}
            raise serializers.ValidationError({names.get(k, k): v for k, v in exc.detail.items()}) from exc
        if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
            raise serializers.ValidationError({"from": ["`from` must not be after `to`."]})
        return values


class ChangeSerializer(serializers.Serializer):
    date = serializers.DateField()
    change = serializers.ChoiceField(choices=["joined", "left"])
    membership = MembershipOutputSerializer()


class AuditEventSerializer(serializers.ModelSerializer):
    """One recorded change: who, when, and the column values before and after."""

    changes = serializers.SerializerMethodField(help_text="Columns whose value changed: {column: [before, after]}.")
    # Not read_only, which the schema would list as always present; the serializer only writes output.
    actor = serializers.CharField(required=False, help_text="Who made the change; only for signed-in staff.")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "operation", "changes", "before", "after"]

    def to_representation(self, event):
        data = super().to_representation(event)
        if not self.context.get("show_actor"):
            del data["actor"]
            # The curators' working note stays with them, as everywhere else the public reads.
            for part in ("changes", "before", "after"):
                if isinstance(data.get(part), dict):
                    data[part] = for_the_public(data[part])
        return data

    def get_changes(self, event) -> dict:
        return {key: list(values) for key, values in event.changes().items()}
