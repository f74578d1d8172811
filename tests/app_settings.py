"""Settings for app servers that tests start as separate processes (gunicorn behind nginx).

The service's own settings (config/settings.py, read from the environment as
deployed), with the suite's fast password hash: the users those tests sign in
with are created by the test process, which hashes with MD5 (tests/conftest.py),
and Django's default PBKDF2 would cost every signed-in request a few hundred
milliseconds.
"""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
