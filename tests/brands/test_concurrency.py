"""Two concurrent activations on PostgreSQL leave exactly one active key (row locks)."""

import threading

import pytest
from django.db import connection, connections

from brands import services
from brands.errors import BrandsError
from brands.models import SigningKey


@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_leave_exactly_one_active_key(brand):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (DATABASE_URL=postgres://...)")
    current = services.signing_key_generate(brand=brand, activate=True)
    candidates = [services.signing_key_generate(brand=brand) for _ in range(4)]
    barrier = threading.Barrier(len(candidates))
    outcomes: list[str] = []

    def activate(key):
        try:
            barrier.wait()
            services.signing_key_activate(key=key, force=True)
            outcomes.append("ok")
        except BrandsError as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # an IntegrityError here would mean the locks failed
            outcomes.append(type(exc).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate, args=(k,)) for k in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes == ["ok"] * len(candidates)  # serialised: each one retires the previous
    states = dict(SigningKey.objects.filter(brand=brand).values_list("kid", "state"))
    assert list(states.values()).count("active") == 1
    assert states[current.kid] == "retired"
    assert sorted(states.values()) == ["active"] + ["retired"] * len(candidates)


@pytest.mark.django_db(transaction=True)
def test_concurrent_activation_of_the_same_key_activates_it_once(brand):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks (DATABASE_URL=postgres://...)")
    key = services.signing_key_generate(brand=brand)
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def activate():
        try:
            barrier.wait()
            services.signing_key_activate(key=key)
            outcomes.append("ok")
        except BrandsError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already_active", "already_active", "ok"]
    assert SigningKey.objects.get().state == "active"
