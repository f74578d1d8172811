"""Fill a separate PostgreSQL database with synthetic history, for the scale benchmark.

Adds a few thousand generated organizations and about a million past
membership periods over every country, on top of the real fixtures (load those
first). Every synthetic period ends before 1976, so the real questions keep their
answers on every day the benchmark asks about (its uncached requests vary ``as_of``
from 1976-01-01, bench/run.py) and what it measures is how well the queries skip
history. (Periods up to 2020 put hundreds of synthetic groups into Romania's answer
for a day in 1990: a bigger answer, not the same question at a bigger size.)
Periods of one country in one organization never overlap (the exclusion
constraint checks every row).
"""

import datetime
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from alliances.choices import DatePrecision
from alliances.store.audit import AUDITED_TABLES

EPOCH = datetime.date(1946, 1, 1)
LAST_DAY = datetime.date(1975, 12, 31)  # before bench/run.py's UNCACHED_FIRST_DAY
STATUSES = ["member"] * 16 + ["candidate"] * 2 + ["observer", "partner"]


class Command(BaseCommand):
    help = "Generate synthetic organizations and membership periods (PostgreSQL, a separate database)."

    def add_arguments(self, parser):
        parser.add_argument("--periods", type=int, default=1_000_000, help="membership periods to add")
        parser.add_argument("--organizations", type=int, default=3000, help="organizations to add")
        parser.add_argument("--seed", type=int, default=20211230, help="random seed, for repeatable data")
        parser.add_argument(
            "--force", action="store_true", help="allow a database whose name lacks 'scale', 'synthetic' or 'bench'"
        )

    def handle(self, *args, periods, organizations, seed, force, **options):
        if connection.vendor != "postgresql":
            raise CommandError("generate_synthetic writes with COPY and needs PostgreSQL.")
        name = connection.settings_dict["NAME"]
        if not force and not any(word in name for word in ("scale", "synthetic", "bench")):
            raise CommandError(f"Refusing to add synthetic data to “{name}”: use a separate database, or --force.")
        rng = random.Random(seed)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM alliances_country ORDER BY id")
            countries = [row[0] for row in cursor.fetchall()]
        started = datetime.datetime.now()
        with transaction.atomic(), connection.cursor() as cursor:
            # One COPY of a million rows runs far past the serving statement timeout (settings.py), which
            # exists to give a web request a 503 instead of a hang; this is a batch job.
            cursor.execute("SET LOCAL statement_timeout = 0")
            # Bulk history is not a curator's edit: no audit row per period, one marker event below.
            for table in ("alliances_organization", "alliances_membership"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            org_ids = self.add_organizations(cursor, organizations)
            rebuild = self.drop_period_indexes(cursor)
            added = self.add_periods(cursor, rng, countries, org_ids, periods, options["verbosity"])
            # Run the deferred foreign-key checks now: ALTER TABLE refuses while they are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for statement in rebuild:
                cursor.execute(statement)
            for table in ("alliances_organization", "alliances_membership"):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
            cursor.execute(
                'INSERT INTO alliances_auditevent ("table", row_id, operation, before, after, actor, at) '
                "VALUES ('alliances_membership', 0, 'insert', NULL, %s, 'generate_synthetic', clock_timestamp())",
                [f'{{"synthetic_periods": {added}}}'],
            )
        with connection.cursor() as cursor:
            for table in AUDITED_TABLES:
                cursor.execute(f"ANALYZE {table}")
        seconds = (datetime.datetime.now() - started).total_seconds()
        self.stdout.write(f"Added {organizations} organizations and {added:,} periods in {seconds:.0f} s.")

    def add_organizations(self, cursor, count):
        with cursor.cursor.copy(
            "COPY alliances_organization (slug, acronym, name, kind, founded, website, description, "
            "cow_igo, wikidata, identifiers_source, founded_precision) FROM STDIN"
        ) as copy:
            for i in range(count):
                copy.write_row(
                    (
                        f"syn-{i:05d}",
                        f"S{i:05d}",
                        f"Synthetic organization {i:05d}",
                        "political_forum",
                        EPOCH,
                        "",
                        "",
                        "",
                        "",
                        "",
                        DatePrecision.DAY,
                    )
                )
        cursor.execute("SELECT id FROM alliances_organization WHERE slug LIKE 'syn-%%' ORDER BY id")
        return [row[0] for row in cursor.fetchall()]

    def drop_period_indexes(self, cursor):
        """Drop the period table's indexes and index-backed constraints; return the statements that rebuild them.

        Maintaining two GiST indexes and the exclusion constraint row by row made a million-row COPY
        take about 5 minutes on this machine; building them once afterwards checks the same rules
        (re-adding the exclusion and unique constraints validates every row) in a fraction of that.
        The definitions come from the catalog, so they are whatever the migrations made.
        """
        table = "alliances_membership"
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'x') ORDER BY conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
        return [definition for _, definition in indexes] + [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in constraints
        ]

    def add_periods(self, cursor, rng, countries, org_ids, target, verbosity=1):
        next_start = {}
        added = 0
        columns = (
            "country_id, organization_id, status, founding, start_date, end_date, note, "
            "start_precision, end_precision, own_status"
        )
        with cursor.cursor.copy(f"COPY alliances_membership ({columns}) FROM STDIN") as copy:
            attempts = 0
            while added < target and attempts < target * 3:
                attempts += 1
                pair = (rng.choice(countries), rng.choice(org_ids))
                start = next_start.get(pair, EPOCH) + datetime.timedelta(days=rng.randint(0, 3000))
                end = start + datetime.timedelta(days=rng.randint(30, 1800))
                if end > LAST_DAY:
                    continue
                next_start[pair] = end + datetime.timedelta(days=1)
                copy.write_row(
                    (
                        pair[0],
                        pair[1],
                        rng.choice(STATUSES),
                        False,
                        start,
                        end,
                        "",
                        DatePrecision.DAY,
                        DatePrecision.DAY,
                        "",
                    )
                )
                added += 1
                if verbosity and added % 100_000 == 0:
                    self.stderr.write(f"generate_synthetic: {added:,} of {target:,} periods")
        return added
