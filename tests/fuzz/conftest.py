"""Hypothesis settings for the fuzz tests: no example database in the checkout, no per-example deadline (the
machine is shared), fixed seeds under CI (CI=true) so a run there is reproducible, fresh random inputs elsewhere."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("mgs", deadline=None, database=None, derandomize=os.environ.get("CI") == "true",
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("mgs")
