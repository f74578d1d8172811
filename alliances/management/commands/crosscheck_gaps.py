"""The gaps report: per state, what COW IGO v3 codes that the data set lacks or codes otherwise."""

from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from alliances.models import Country
from alliances.opendata import cow


class Command(BaseCommand):
    help = (
        "Compare the data set with COW IGO v3 (1945-2014) in the organizations both cover: per state, the "
        "organizations COW names for it in a year that the data set lacks, then every other year where COW's "
        "code differs, each classed by the rule that explains it. The same report is in the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("--country", help="Only this state (our code, e.g. RO, or any name the site knows).")
        parser.add_argument("--class", dest="kind", choices=sorted(cow.CLASSES), help="Only differences of this class.")

    def handle(self, *args, country=None, kind=None, **options):
        code = None
        if country:
            found = (
                Country.objects.filter(code__iexact=country).first()
                or Country.objects.filter(name__iexact=country).first()
            )
            if found is None:
                raise CommandError(f"No country {country!r}.")
            code = found.code
        report = cow.gaps(code=code, kind=kind)
        counts = Counter(d.kind for state in report for d in (*state.lacks, *state.others))
        total = sum(counts.values())
        self.stdout.write(
            f"{total} differences from COW IGO v3 in {len(report)} state{'' if len(report) == 1 else 's'} "
            f"(COW ends in {cow.COW_LAST_YEAR}; "
            "later years are not compared)."
        )
        for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            self.stdout.write(f"  {name}: {count} ({cow.CLASSES[name]})")
        for state in report:
            self.stdout.write("")
            self.stdout.write(f"{state.name} ({state.code or '-'}, COW {state.ccode} {state.stateabb})")
            if state.lacks:
                self.stdout.write("  COW names, the data set lacks:")
                for d in state.lacks:
                    self.stdout.write(f"    {d.column} ({d.organization}) {d.years}: COW {d.cow}, here {d.ours}")
            if state.others:
                self.stdout.write("  COW codes otherwise:")
                for d in state.others:
                    self.stdout.write(
                        f"    {d.column} ({d.organization}) {d.years}: COW {d.cow}, here {d.ours} [{d.kind}]"
                    )
