from django.core.management.base import BaseCommand, CommandError

from alliances.selectors import find_problems


class Command(BaseCommand):
    help = "Check the stored data against every rule; exit non-zero listing each problem."

    def handle(self, *args, **options):
        problems = find_problems()
        if problems:
            for problem in problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(f"{len(problems)} problem(s) found.")
        self.stdout.write(self.style.SUCCESS("Data is valid: no problems found."))
