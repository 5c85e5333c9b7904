"""Every app reads its settings the same way (config.appconf): ``conf.get(NAME)``, lazily, with
lifetimes as timedeltas whether settings give a timedelta or seconds."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts import conf as accounts_conf
from brands import conf as brands_conf
from messaging import conf as messaging_conf
from sandbox import conf as sandbox_conf

LIFETIMES = [
    (accounts_conf, "ACCOUNTS", "LOGIN_THROTTLE_WINDOW"),
    (brands_conf, "BRANDS", "RETENTION"),
    (messaging_conf, "MESSAGING", "OIDC_CODE_TTL"),
    (sandbox_conf, "SANDBOX", "LEEWAY"),
]


@pytest.mark.parametrize(("conf", "prefix", "name"), LIFETIMES)
def test_a_lifetime_is_a_timedelta_whether_set_in_seconds_or_as_a_timedelta(
    conf, prefix, name, settings
):
    assert isinstance(conf.get(name), timedelta)  # the default
    setattr(settings, f"{prefix}_{name}", 42)
    assert conf.get(name) == timedelta(seconds=42)
    setattr(settings, f"{prefix}_{name}", timedelta(minutes=2))
    assert conf.get(name) == timedelta(minutes=2)


@pytest.mark.parametrize(("conf", "prefix", "name"), LIFETIMES)
def test_a_lifetime_of_the_wrong_type_names_the_setting(conf, prefix, name, settings):
    setattr(settings, f"{prefix}_{name}", "soon")
    with pytest.raises(ImproperlyConfigured, match=f"{prefix}_{name}"):
        conf.get(name)
