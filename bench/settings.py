"""Bench settings: the product's settings, bench URLs and the bench-only baseline app.

Everything else (database, data directory, keys) comes from the environment that
``bench/run.py`` sets up, exactly as for the product.
"""

from kreiswerk.settings import *  # noqa: F403
from kreiswerk.settings import INSTALLED_APPS

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench.baselineapp"]
