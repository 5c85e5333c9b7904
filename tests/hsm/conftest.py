"""A real PKCS#11 token for the HSM key store's tests: SoftHSM2 (Debian's ``softhsm2``).

The token lives in a scratch folder of its own: a ``softhsm2.conf`` whose ``tokendir`` is that
folder, named by ``SOFTHSM2_CONF`` before the library is first loaded. When the environment
already names a token (``PKCS11_MODULE``, ``PKCS11_TOKEN_LABEL``, ``PKCS11_PIN`` and
``SOFTHSM2_CONF``, as ``.ci/run`` exports them) that one is used.

Without SoftHSM2 the tests skip on a developer's machine; in CI (``CI=true`` or
``REQUIRE_HSM=1``) a missing module fails the run instead: the store must be tested there.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from brands import keycache, services
from brands.keystores import pkcs11

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
LABEL = "portal-tests"
PIN = "20261203"
SO_PIN = "7302160212"


def _required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("REQUIRE_HSM") == "1"


def _missing(reason: str):
    if _required():
        pytest.fail(f"PKCS#11 tests must run here (CI or REQUIRE_HSM=1): {reason}", pytrace=False)
    pytest.skip(f"no PKCS#11 token: {reason} (apt-get install softhsm2)")


@pytest.fixture(scope="session")
def token_config(tmp_path_factory) -> dict[str, str]:
    """The settings that name an initialised token: module path, label and PIN."""
    given = {
        setting: os.environ.get(variable, "")
        for setting, variable in (
            ("PKCS11_MODULE", "PKCS11_MODULE"),
            ("PKCS11_TOKEN_LABEL", "PKCS11_TOKEN_LABEL"),
            ("PKCS11_PIN_SECRET", "PKCS11_PIN"),
        )
    }
    if all(given.values()) and os.environ.get("SOFTHSM2_CONF"):
        if not Path(given["PKCS11_MODULE"]).is_file():
            _missing(f"{given['PKCS11_MODULE']} does not exist")
        return given
    module = SOFTHSM_MODULE  # a scratch token is SoftHSM2's, whatever module the env names
    util = shutil.which("softhsm2-util")
    if not Path(module).is_file() or util is None:
        _missing(f"{module} or softhsm2-util is missing")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\nslots.removable = false\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [util, "--init-token", "--free", "--label", LABEL, "--pin", PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
    )
    return {"PKCS11_MODULE": module, "PKCS11_TOKEN_LABEL": LABEL, "PKCS11_PIN_SECRET": PIN}


@pytest.fixture
def hsm(settings, token_config):
    """The token configured as the portal's HSM; every test starts with fresh sessions and
    an empty key cache, and RSA keys of 2048 bits unless a test asks for more (speed)."""
    for name, value in token_config.items():
        setattr(settings, name, value)
    settings.BRANDS_RSA_KEY_SIZE = 2048
    pkcs11.reset()
    keycache.clear()
    yield token_config
    pkcs11.reset()
    keycache.clear()


@pytest.fixture
def hsm_brand(brand, hsm):
    """The customer's brand, its keys in the HSM."""
    brand.key_store = "pkcs11"
    brand.save(update_fields=["key_store"])
    return brand


@pytest.fixture
def hsm_key(hsm_brand):
    return services.signing_key_generate(brand=hsm_brand, algorithm="RS256", activate=True)
