from django.core.management.base import BaseCommand, CommandError

from alliances.choices import DatePrecision, MembershipStatus, SourceKind
from alliances.selectors import find_problems, sources_report


class Command(BaseCommand):
    help = (
        "Check the stored data against every rule; exit non-zero listing each problem. With --sources, "
        "also print per organization the periods by status and date precision, the citations by source kind, "
        "and every period that rests only on news or secondary sources."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sources", action="store_true", help="Also report the sources behind each organization's periods."
        )

    def handle(self, *args, **options):
        if options["sources"]:
            self.report_sources()
        problems = find_problems()
        if problems:
            for problem in problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(f"{len(problems)} problem(s) found.")
        self.stdout.write(self.style.SUCCESS("Data is valid: no problems found."))

    def report_sources(self):
        rows = sources_report()
        header = [
            "organization",
            "periods by status",
            "start known to",
            "citations by source kind",
            "news/secondary only",
        ]
        self.stdout.write("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
        for row in rows:
            org = row["organization"]
            statuses = ", ".join(f"{row['statuses'][s]} {s}" for s in MembershipStatus.values if row["statuses"][s])
            precision = ", ".join(f"{row['precision'][p]} {p}" for p in DatePrecision.values if row["precision"][p])
            kinds = ", ".join(f"{row['kinds'][k]} {k}" for k in SourceKind.values if row["kinds"][k])
            self.stdout.write(
                f"| {org.acronym} | {statuses or 'none'} | {precision or '-'} | {kinds or '-'} | {len(row['weak'])} |"
            )
        weak = [(row["organization"], m) for row in rows for m in row["weak"]]
        self.stdout.write(f"\n{len(weak)} period(s) rest only on news or secondary sources:")
        for organization, m in weak:
            self.stdout.write(f"- {organization.acronym}: {m}")
        self.stdout.write("")
