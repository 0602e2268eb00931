"""Run ids and run names from one generator per process, seeded from ``os.urandom`` once
(and again in a forked child, which must not repeat its parent's ids).

``uuid.uuid4()`` and ``random.SystemRandom`` read ``os.urandom`` on every call, and a system
call on the training thread hands the interpreter lock to the writer thread for up to a
switch interval (5 ms) when that thread is busy: several per fit added up. Ids are 32
lowercase hex digits shaped as a version-4 UUID, as MLflow's; they are unique, not secret.
"""

from __future__ import annotations

import os
import random
import uuid

_rng = random.Random(os.urandom(32))


def _reseed() -> None:
    _rng.seed(os.urandom(32))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A new id, as ``uuid.uuid4().hex``."""
    return uuid.UUID(int=_rng.getrandbits(128), version=4).hex


def choice(options: tuple[str, ...]) -> str:
    return options[_rng.randrange(len(options))]


def below(n: int) -> int:
    return _rng.randrange(n)
