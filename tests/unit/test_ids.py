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
