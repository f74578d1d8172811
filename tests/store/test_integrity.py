"""Starting the app never overwrites curation; fixtures load into an empty database or on request (issue 10)."""

import hashlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from alliances import services
from alliances.models import Membership
from alliances.store import audit

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
FIXTURES = sorted((ROOT / "fixtures").glob("*.json"))


def start_commands():
    """The manage.py commands `make run` / `make serve` run before serving (targets `migrate` and `load`)."""
    makefile = (ROOT / "Makefile").read_text()
    commands = []
    for target in ("migrate", "load"):
        recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
        for line in recipe.splitlines():
            words = shlex.split(line.strip())
            assert words[:2] == ["$(BIN)/python", "manage.py"], line
            commands.append(words[2:])
    assert re.search(r"^run: load$", makefile, re.M) and re.search(r"^serve: load$", makefile, re.M)
    return commands


def start():
    for name, *args in start_commands():
        call_command(name, *args, verbosity=0)


def test_start_loads_nothing_into_a_database_with_data():
    assert start_commands() == [["migrate", "--noinput"], ["load_fixtures", "--if-empty"]]


def test_a_curators_edit_survives_a_restart():
    """Issue 10, finding 1: `make run` loaded the fixtures every time and undid the edit."""
    membership = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    with audit.acting_as("alice"):
        services.membership_update(membership=membership, note="Curated by Alice.")
    version = audit.data_version()
    start()
    start()
    assert Membership.objects.get(pk=membership.pk).note == "Curated by Alice."
    assert audit.data_version() == version


def test_export_after_loading_gives_the_same_files_byte_for_byte(tmp_path):
    call_command("export_fixtures", str(tmp_path), verbosity=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == [p.name for p in FIXTURES]
    for path in FIXTURES:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_export_writes_curation_as_a_diff(tmp_path):
    membership = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    with audit.acting_as("alice"):
        services.membership_update(membership=membership, note="Curated by Alice.")
    call_command("export_fixtures", str(tmp_path), verbosity=0)
    for path in FIXTURES:
        same = (tmp_path / path.name).read_bytes() == path.read_bytes()
        assert same == (path.name != "04_memberships.json"), path.name
    assert "Curated by Alice." in (tmp_path / "04_memberships.json").read_text(encoding="utf-8")


def test_explicit_load_refuses_to_overwrite_an_edited_record_unless_forced():
    membership = Membership.objects.get(country__iso2="RO", organization__slug="nato", status="member")
    with audit.acting_as("alice"):
        services.membership_update(membership=membership, note="Curated by Alice.")
    with pytest.raises(CommandError, match=r"(?s)Refusing to load.*Romania in NATO.*note.*alice.*--force"):
        call_command("load_fixtures", verbosity=0)
    assert Membership.objects.get(pk=membership.pk).note == "Curated by Alice."

    call_command("load_fixtures", force=True, verbosity=0)
    assert Membership.objects.get(pk=membership.pk).note != "Curated by Alice."


def test_explicit_load_refuses_to_bring_back_a_deleted_period_unless_forced():
    """A deletion is curation too: loading used to re-create the period silently ("3 created")."""
    period = Membership.objects.get(country__iso2="SE", organization__slug="nato", status="member")
    key = (period.country_id, period.organization_id, period.start_date)
    with audit.acting_as("alice"):
        services.membership_delete(membership=period)
    with pytest.raises(
        CommandError, match=r"(?s)Refusing to load.*edited or deleted.*SE/nato/2024-03-07\): deleted \(by alice"
    ):
        call_command("load_fixtures", verbosity=0)
    assert not Membership.objects.filter(country_id=key[0], organization_id=key[1], start_date=key[2]).exists()

    call_command("load_fixtures", force=True, verbosity=0)
    restored = Membership.objects.get(country_id=key[0], organization_id=key[1], start_date=key[2])
    assert restored.citations.exists()
    call_command("load_fixtures", verbosity=0)  # restored by a loader: nothing to refuse any more


def test_explicit_load_of_unchanged_or_new_fixture_records_proceeds():
    call_command("load_fixtures", verbosity=0)  # nothing edited: nothing refused
    # A curator's new record is not in the fixtures, so loading does not touch it either.
    membership = Membership.objects.get(country__iso2="RO", organization__slug="b9")
    with audit.acting_as("alice"):
        services.membership_update(membership=membership, note="Curated by Alice.")
    with pytest.raises(CommandError):
        call_command("load_fixtures", verbosity=0)
    call_command("load_fixtures", str(ROOT / "fixtures" / "01_countries.json"), verbosity=0)


def test_first_start_loads_the_fixtures_and_a_second_start_writes_nothing(tmp_path):
    """Through the real commands on a fresh SQLite file: the second start leaves the file byte-identical."""
    database = tmp_path / "start.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}

    def run_start():
        for command in start_commands():
            subprocess.run([sys.executable, "manage.py", *command, "-v0"], cwd=ROOT, env=env, check=True)

    run_start()
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("
            "'select count(*) from alliances_membership').fetchone()[0])",
            str(database),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert int(count) == sum(1 for _ in Membership.objects.all())
    first = hashlib.sha256(database.read_bytes()).hexdigest()
    run_start()
    assert hashlib.sha256(database.read_bytes()).hexdigest() == first
