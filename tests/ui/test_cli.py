"""``autolog ui``: the command's checks before it serves."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from autolog.cli import main
from autolog.ui import cli as ui_cli
from autolog.ui import pages


def test_ui_refuses_a_path_without_a_store(tmp_path: Path) -> None:
    """Pointing the UI at a folder autolog never logged into is an error naming it, and
    creates nothing."""
    missing = tmp_path / "nothing"
    result = CliRunner().invoke(main, ["ui", "--tracking-uri", str(missing)])
    assert result.exit_code == 1 and "no autolog store at" in result.output
    assert not missing.exists()


def test_ui_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    """Without uvicorn the command says to install autolog[ui] instead of a traceback."""
    code = ("import sys; sys.modules['uvicorn'] = None\n"
            "from autolog.cli import main\n"
            f"main(['ui', '--tracking-uri', {str(tmp_path)!r}])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "AUTOLOG_TRACKING_URI": ""})
    assert proc.returncode == 1
    assert 'pip install "autolog[ui]"' in proc.stderr and "Traceback" not in proc.stderr


def test_importing_the_command_does_not_import_starlette() -> None:
    """``import autolog.cli`` (which registers ``autolog ui``) imports no server code."""
    code = ("import sys, autolog.cli; "
            "print(any(m.split('.')[0] in ('starlette', 'uvicorn') for m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.stdout.strip() == "False", proc.stderr


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("192.0.2.1", False), ("example.org", False)])
def test_loopback_hosts_are_recognised(host: str, loopback: bool) -> None:
    """Only loopback addresses and localhost count as loopback (no warning)."""
    assert ui_cli.is_loopback(host) is loopback


def test_every_interface_accepts_any_host_header() -> None:
    """Bound to every interface the Host check is off; bound to a name it accepts that
    name and the loopback names."""
    assert ui_cli.allowed_hosts("0.0.0.0") is None
    assert "ui.example" in (ui_cli.allowed_hosts("ui.example") or [])


@pytest.mark.parametrize(("header", "host"), [
    ("127.0.0.1:5050", "127.0.0.1"), ("localhost", "localhost"), ("[::1]:5050", "::1"),
    ("[::1]", "::1"), ("UI.Example:80", "ui.example"), ("::1", "::1")])
def test_host_headers_are_read_with_or_without_port(header: str, host: str) -> None:
    """The Host check compares the host without its port, IPv6 brackets included."""
    assert pages.host_name(header) == host
