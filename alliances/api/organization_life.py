"""Serializers of an organization's own life: its memberships in other organizations, its names, its successions.

Kept beside ``alliances.api.serializers`` (states' periods) because these periods name an
organization as the member: every item says ``"member_type": "organization"`` so a client
that reads a members list never mistakes the EU for a state.
"""

from rest_framework import serializers

from alliances.api.serializers import OrganizationBriefSerializer, PreciseDateField
from alliances.choices import OrganizationSuccessionKind
from alliances.models import OrganizationMembership, OrganizationName, OrganizationSuccession, Source
from alliances.rules import periods

MEMBER_TYPE_HELP = "What the member is: always organization here (a state's period names a country instead)."
CERTAINTY_HELP = (
    "Only with include_possible=true: certain (the period covers the day for certain) or possible "
    "(the day lies in the month or year its start or end is known to)."
)


class SourceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["title", "publisher", "url", "published", "kind"]


class QuotedSourceSerializer(serializers.Serializer):
    """A source with the sentence quoted from it (the shape of a state's period's ``sources``)."""

    title = serializers.CharField(source="source.title")
    publisher = serializers.CharField(source="source.publisher")
    url = serializers.CharField(source="source.url")
    published = serializers.DateField(source="source.published", allow_null=True)
    kind = serializers.CharField(source="source.kind")
    quote = serializers.CharField()


class OrganizationMembershipSerializer(serializers.ModelSerializer):
    """An organization's period in another: who is the member, where, in what status, when, on whose word."""

    member_type = serializers.SerializerMethodField(help_text=MEMBER_TYPE_HELP)
    member = OrganizationBriefSerializer(read_only=True)
    organization = OrganizationBriefSerializer(read_only=True)
    start_date = PreciseDateField("start_date", "start_precision", help_text="First day, as far as known.")
    end_date = PreciseDateField("end_date", "end_precision", help_text="Last day, as far as known; null: ongoing.")
    sources = QuotedSourceSerializer(source="cited", many=True, read_only=True)

    class Meta:
        model = OrganizationMembership
        fields = [
            "member_type",
            "member",
            "organization",
            "status",
            "own_status",
            "founding",
            "start_date",
            "start_precision",
            "end_date",
            "end_precision",
            "sources",
        ]

    def get_member_type(self, period) -> str:
        return "organization"


class CertainOrganizationMembershipSerializer(OrganizationMembershipSerializer):
    """The same, with whether it covers the asked day for certain or only possibly."""

    certainty = serializers.SerializerMethodField(help_text=CERTAINTY_HELP)

    class Meta(OrganizationMembershipSerializer.Meta):
        fields = [*OrganizationMembershipSerializer.Meta.fields, "certainty"]

    def get_certainty(self, period) -> str:
        day = self.context["as_of"]
        return periods.certainty_on(
            day, period.start_date, period.start_precision, period.end_date, period.end_precision
        )


class OrganizationNameSerializer(serializers.ModelSerializer):
    valid_from = PreciseDateField("valid_from", "valid_from_precision", help_text="First day it bore the name.")
    valid_to = PreciseDateField("valid_to", "valid_to_precision", help_text="Last day it bore it; null: it still does.")
    source = SourceBriefSerializer(read_only=True)

    class Meta:
        model = OrganizationName
        fields = ["name", "acronym", "valid_from", "valid_from_precision", "valid_to", "valid_to_precision"]
        fields += ["source", "quote"]


class OrganizationSuccessionSerializer(serializers.ModelSerializer):
    predecessor = OrganizationBriefSerializer(read_only=True)
    successor = OrganizationBriefSerializer(read_only=True)
    date = PreciseDateField("date", "date_precision", help_text="The successor's first day in its place.")
    kind = serializers.ChoiceField(choices=OrganizationSuccessionKind.choices, read_only=True)
    source = SourceBriefSerializer(read_only=True)

    class Meta:
        model = OrganizationSuccession
        fields = ["predecessor", "successor", "date", "date_precision", "kind", "source", "quote"]
