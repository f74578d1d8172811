"""The product's settings, routed to the Limit B view only."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.limit_b"
