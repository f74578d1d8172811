"""Write the curated database back into fixtures/, so curation becomes a reviewable diff.

Same files, split and format as the fixtures in the repository: natural keys
only, no primary keys, one-space JSON indentation, UTF-8. Records are written
in primary-key order, which is the files' order after loading them into an
empty database: loading the repository's fixtures and exporting them gives
byte-identical files (tests/test_integrity_fixtures.py), and records a curator
adds appear at the end of their file.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder

from alliances.models import (
    Citation,
    Country,
    CountryAlias,
    CountryCitation,
    Membership,
    Organization,
    OrganizationAlias,
    OrganizationMembership,
    OrganizationMembershipCitation,
    OrganizationName,
    OrganizationSuccession,
    Source,
    Succession,
)
from alliances.store import audit

FILES = [
    ("01_countries.json", [Country, CountryAlias]),
    ("02_sources.json", [Source]),
    ("03_organizations.json", [Organization, OrganizationAlias]),
    ("04_memberships.json", [Membership]),
    ("05_citations.json", [Citation]),
    ("06_history.json", [CountryCitation, Succession]),
    (
        "07_organization_life.json",
        [OrganizationMembership, OrganizationMembershipCitation, OrganizationName, OrganizationSuccession],
    ),
]


def render(models):
    objects = []
    for model in models:
        queryset = model.objects.order_by("pk")
        rows = serializers.serialize("python", queryset, use_natural_foreign_keys=True, use_natural_primary_keys=True)
        owner = getattr(model, "owner_field", None)
        for row in rows:
            if owner:  # an alias names its owner first, as the files always have
                row["fields"] = {owner: row["fields"].pop(owner), **row["fields"]}
        objects += rows
    return json.dumps(objects, indent=1, ensure_ascii=False, cls=DjangoJSONEncoder)


class Command(BaseCommand):
    help = (
        "Write the database's countries, sources, organizations, memberships, citations and history as fixture files."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", help="Where to write the files; default fixtures/.")

    def handle(self, *args, **options):
        directory = Path(options["directory"] or Path(settings.BASE_DIR, "fixtures"))
        directory.mkdir(parents=True, exist_ok=True)
        with audit.snapshot():  # the files agree with each other: one committed state
            rendered = [(name, render(models)) for name, models in FILES]
        for name, text in rendered:
            (directory / name).write_bytes(text.encode("utf-8"))
            if options["verbosity"]:
                self.stdout.write(f"Wrote {directory / name}")
