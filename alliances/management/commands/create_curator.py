import getpass

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alliances.admin import curators


class Command(BaseCommand):
    help = (
        "Create a staff user in the 'curators' group: it can use the admin to record memberships, "
        "citations, sources and aliases, and nothing else (not a superuser)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Login name of the new curator.")
        parser.add_argument("--email", default="", help="E-mail address (optional).")
        parser.add_argument(
            "--password",
            help="Password; prompted for (twice) when omitted. Passing it here leaves it in the shell history.",
        )

    def handle(self, *args, username, email, password, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if password is None:
            password = self._prompt_password()
        user = User(username=username, email=email, is_staff=True)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        with transaction.atomic():
            user.set_password(password)
            user.full_clean()
            user.save()
            # Repairs the group too, should someone have edited its permissions.
            user.groups.add(curators.ensure_group())
        self.stdout.write(f"Created curator {username!r} (staff, group {curators.GROUP_NAME!r}).")

    def _prompt_password(self):
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except EOFError as exc:  # no terminal: nothing to prompt on
            raise CommandError("No password given: pass --password or run it in a terminal.") from exc
        if first != second:
            raise CommandError("The two passwords differ.")
        if not first:
            raise CommandError("The password is empty.")
        return first
