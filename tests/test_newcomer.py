"""The README's path for a newcomer: `make demo` writes a development .env, and the README's
commands run as written (the project's virtualenv or make, never the system `python`)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_make_demo_writes_a_development_env_once(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    subprocess.run(["make", "-s", "-C", str(tmp_path), ".env"], check=True, capture_output=True)
    written = (tmp_path / ".env").read_text(encoding="utf-8")
    assert "DEBUG=true" in written.splitlines()
    # never overwritten: an operator's own .env stays as it is
    (tmp_path / ".env").write_text("DEBUG=false\n", encoding="utf-8")
    subprocess.run(["make", "-s", "-C", str(tmp_path), ".env"], check=True, capture_output=True)
    assert (tmp_path / ".env").read_text(encoding="utf-8") == "DEBUG=false\n"


def test_make_demo_depends_on_the_env_file():
    dry_run = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "-W", ".env", "demo"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "manage.py seed_demo" in dry_run and "manage.py runserver" in dry_run


def test_readme_commands_use_the_virtualenv_or_make():
    lines = _shell_lines()
    manage = [line for line in lines if "manage.py" in line]
    assert manage, "the README shows manage.py commands"
    for line in manage:
        assert re.match(r"^(DEBUG=true )?\.venv/bin/python manage\.py ", line), line
    assert not [line for line in lines if re.match(r"^python3? ", line)]


def test_readme_images_exist():
    images = re.findall(r"\]\((docs/images/[^)]+\.png)\)", README)
    assert len(images) >= 4
    for image in images:
        assert (ROOT / image).is_file(), image


def test_a_command_without_its_settings_explains_itself_without_a_traceback():
    secrets = {"SECRET_KEY", "ALLOWED_HOSTS", "PUBLIC_BASE_URL", "KEY_ENCRYPTION_KEYS", "DEBUG"}
    env = {k: v for k, v in os.environ.items() if k not in secrets}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "DEBUG": "false"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "SECRET_KEY is not set. It is required when DEBUG is off; see .env.example.",
        "For development on this machine run `make demo` once (it writes a .env with "
        "DEBUG=true), or put DEBUG=true in front of the command.",
    ]


def test_readme_lists_every_management_command():
    apps = ("accounts", "brands", "messaging", "reports", "sandbox")
    commands = {
        path.stem
        for app in apps
        for path in (ROOT / app / "management" / "commands").glob("*.py")
        if not path.stem.startswith("_")
    }
    listed = {
        match.group(1)
        for line in _shell_lines()
        if (match := re.match(r"^\.venv/bin/python manage\.py (\w+)", line))
    }
    assert sorted(commands - listed) == []
