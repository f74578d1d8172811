"""Rate limits per client, counted in the shared cache so every worker sees the same count."""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class CurrentRatesMixin:
    # DRF binds the rates when the class is defined; reading them per request
    # lets settings overrides (tests, an operator's environment) take effect.
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(CurrentRatesMixin, AnonRateThrottle):
    pass


class UserThrottle(CurrentRatesMixin, UserRateThrottle):
    pass
