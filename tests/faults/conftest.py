"""The one deployment (two app servers, PostgreSQL, Redis) every fault test shares."""

import pytest

from tests.faults.deployment import Deployment


@pytest.fixture(scope="session")
def deployment(tmp_path_factory):
    world = Deployment(tmp_path_factory.mktemp("faults"))
    try:
        world.up()
        yield world
    finally:
        world.down()
