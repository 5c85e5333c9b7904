"""Every platform of the registry (platforms/) has every part, and nothing else names one.

A platform is a package ``platforms/<name>/``: ``profile.py`` (the issuer side, a claim
profile), ``emulation.py`` (the vendor side the sandbox verifies with), ``static/adapter.js``
(the browser adapter), ``guide.md`` (the administrator's guide), and its vendor-contract test
``tests/platforms/test_<name>_contract.py`` plus its browser adapter test
``tests/browser/test_adapter_<name>.py``. docs/platforms/adding-a-platform.md says how to add
one.
"""

import re
from pathlib import Path

import pytest

import platforms
from brands.platforms import platform_get, vendor_settings_clean, vendor_settings_example
from messaging import profiles
from messaging.profiles.base import ClaimProfile
from sandbox.verifier.profiles import PROFILES as EMULATIONS
from sandbox.verifier.profiles.base import Profile

ROOT = Path(__file__).resolve().parents[2]
NAMES = platforms.names()


def missing_parts(name: str, *, root: Path = ROOT) -> list[str]:
    """The parts platform ``name`` lacks under ``root`` (the repository)."""
    expected = {
        "profile": root / "platforms" / name / "profile.py",
        "emulation": root / "platforms" / name / "emulation.py",
        "adapter": root / "platforms" / name / "static" / "adapter.js",
        "guide": root / "platforms" / name / "guide.md",
        "contract test": root / "tests" / "platforms" / f"test_{name}_contract.py",
        "adapter test": root / "tests" / "browser" / f"test_adapter_{name}.py",
    }
    return [part for part, path in expected.items() if not path.is_file()]


def test_the_registry_finds_the_seven_platforms():
    assert NAMES == [
        "d365",
        "generic",
        "genesys",
        "intercom",
        "liveperson",
        "salesforce",
        "zendesk",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_each_platform_has_every_part(name):
    assert missing_parts(name) == []


def test_a_platform_without_a_guide_or_contract_test_is_caught(tmp_path):
    (tmp_path / "platforms" / "newvendor" / "static").mkdir(parents=True)
    for part in ("profile.py", "emulation.py", "static/adapter.js"):
        (tmp_path / "platforms" / "newvendor" / part).write_text("")
    assert missing_parts("newvendor", root=tmp_path) == ["guide", "contract test", "adapter test"]


@pytest.mark.parametrize("name", NAMES)
def test_each_part_is_loaded_under_the_platform_s_name(name):
    profile = profiles.get(name)
    assert isinstance(profile, ClaimProfile) and profile.platform == name
    assert platform_get(name) is profile  # brands reads the profile itself, no mirror
    emulation = EMULATIONS[name]
    assert isinstance(emulation, Profile) and emulation.name == name
    # the sandbox accepts at least the algorithm the issuer signs with by default
    assert profile.algorithms[0] in emulation.algorithms
    assert profile.shared_secret == emulation.shared_secret


@pytest.mark.parametrize("name", NAMES)
def test_each_profile_s_flags_agree(name):
    profile = profiles.get(name)
    if profile.shared_secret:
        assert set(profile.algorithms) == {"HS256"}
    if profile.oidc:
        assert not profile.direct_token  # codes, never a token in the page
    if profile.key_format != "jwks":
        assert type(profile).key_document is not ClaimProfile.key_document
        assert EMULATIONS[name].key_document is not None


@pytest.mark.parametrize("name", NAMES)
def test_each_platform_s_example_settings_are_valid(name):
    assert vendor_settings_clean(name, vendor_settings_example(name)) is not None


@pytest.mark.parametrize("name", NAMES)
def test_each_adapter_is_a_vendor_adapter_module(name):
    source = platforms.part_path(name, "adapter").read_text()
    assert re.search(r"export default class \w+ extends VendorAdapter", source)
    assert 'from "../common.js"' in source
    # its header says which documentation (or, generic: which DOM contract) each call follows
    assert len([line for line in source.splitlines()[:15] if line.startswith("//")]) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_each_guide_runs_commands_with_the_project_virtualenv(name):
    guide = platforms.part_path(name, "guide").read_text()
    assert re.findall(r"(?<![/\w.])python3? manage\.py", guide) == []
    assert "manage.py" not in guide or ".venv/bin/python manage.py" in guide


def test_no_platform_name_is_written_outside_its_package():
    """Code outside platforms/ tells platforms apart by flags on the profile, not names."""
    names = "|".join(n for n in NAMES if n != "generic")
    pattern = re.compile(rf"""["'](?:{names})["']""")
    offenders = []
    for folder in ("accounts", "brands", "config", "messaging", "reports", "sandbox"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".js") or "migrations" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if pattern.search(line) and not line.lstrip().startswith(("#", "//")):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
