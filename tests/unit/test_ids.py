"""Run ids: unique within a process and across a fork, shaped as MLflow's."""

from __future__ import annotations

import os
import uuid

import pytest

from autolog.tracking import ids
from autolog.tracking.run_tags import generate_run_name


def test_ids_are_version_4_uuids_in_hex_and_do_not_repeat() -> None:
    made = [ids.new_id() for _ in range(10_000)]
    assert len(set(made)) == len(made)
    for value in made[:100]:
        assert len(value) == 32 and uuid.UUID(hex=value).version == 4 and value == value.lower()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.close(read)
        os.write(write, " ".join(ids.new_id() for _ in range(5)).encode())
        os._exit(0)
    os.close(write)
    parent = {ids.new_id() for _ in range(5)}
    with os.fdopen(read) as f:
        child = set(f.read().split())
    os.waitpid(pid, 0)
    assert len(child) == 5 and not parent & child


def test_run_names_are_adjective_animal_number() -> None:
    names = {generate_run_name() for _ in range(200)}
    assert len(names) > 150
    for name in names:
        adjective, animal, number = name.split("-")
        assert adjective.isalpha() and animal.isalpha() and 0 <= int(number) < 1000


@pytest.mark.parametrize("env", [{"LOGNAME": "ada", "USER": "bob"}, {"USER": "bob"}, {}])
def test_the_user_tag_is_getpass_getuser(monkeypatch: pytest.MonkeyPatch, env: dict) -> None:
    """mlflow.user is what getpass.getuser() says, from the environment or else from the
    password database; getpass is imported only in the latter case."""
    import getpass

    from autolog.tracking import run_tags

    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert run_tags._user() == getpass.getuser()
    if env:
        assert run_tags._user() == next(iter(env.values()))


def test_a_run_with_the_user_in_the_environment_does_not_import_getpass(tmp_path) -> None:
    """getpass imports termios, a C extension: not at the first run when $USER says it."""
    import subprocess
    import sys

    code = ("import sys, autolog\nwith autolog.start_run() as run: pass\n"
            "print('getpass' in sys.modules, run.data.tags.get('mlflow.user'))\n")
    env = {**os.environ, "USER": "ada", "AUTOLOG_TRACKING_URI": str(tmp_path / "store")}
    env.pop("LOGNAME", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["False", "ada"]
