"""Test settings: the product's settings with an isolated data directory and instant jobs."""

import os
import tempfile

os.environ.setdefault("KREISWERK_DATA_DIR", tempfile.mkdtemp(prefix="kreiswerk-test-"))

from kreiswerk.settings import *  # noqa: E402,F403
from kreiswerk.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.crypto.cryptotestapp"]
# Jobs run in-process at enqueue time, so a test sees their outcome.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: fault tests let a second process use the same test database.
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["KREISWERK_DATA_DIR"], "test.sqlite3")}  # noqa: F405
