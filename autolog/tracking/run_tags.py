"""The tags every run starts with (user, source, git commit) and generated run names."""

from __future__ import annotations

import functools
import os
import sys

from autolog.logger import logger
from autolog.tracking import entities as E
from autolog.tracking import ids

_ADJECTIVES = (
    "able", "bold", "brave", "bright", "calm", "clever", "crisp", "eager", "fair", "gentle",
    "glad", "grand", "happy", "keen", "kind", "lively", "lucky", "merry", "neat", "nimble",
    "polite", "proud", "quick", "quiet", "rare", "sharp", "shy", "silent", "smart", "swift",
)
_NOUNS = (
    "ant", "bat", "bear", "bee", "cat", "colt", "crab", "crow", "deer", "dove", "eel", "elk",
    "finch", "fox", "frog", "goat", "hare", "hawk", "horse", "lark", "lynx", "mole", "moth",
    "newt", "owl", "ram", "seal", "slug", "snail", "wolf",
)


def generate_run_name() -> str:
    """MLflow-style ``<adjective>-<animal>-<number>``."""
    return f"{ids.choice(_ADJECTIVES)}-{ids.choice(_NOUNS)}-{ids.below(1000)}"


def _git_commit(start: str) -> str | None:
    """The HEAD commit of the repository holding ``start``, read from .git without git."""
    path = os.path.abspath(start)
    while True:
        git = os.path.join(path, ".git")
        if os.path.isdir(git):
            try:
                with open(os.path.join(git, "HEAD"), encoding="utf-8") as f:
                    head = f.read().strip()
                if not head.startswith("ref: "):
                    return head or None
                ref = head[5:]
                ref_file = os.path.join(git, ref)
                if os.path.isfile(ref_file):
                    with open(ref_file, encoding="utf-8") as f:
                        return f.read().strip() or None
                packed = os.path.join(git, "packed-refs")
                if os.path.isfile(packed):
                    with open(packed, encoding="utf-8") as f:
                        for line in f:
                            parts = line.split()
                            if len(parts) == 2 and parts[1] == ref:
                                return parts[0]
            except OSError:
                return None
            return None
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _user() -> str:
    """``getpass.getuser()``, whose module imports ``termios`` (a C extension) at the first
    run of every script: the environment variables it reads first are read here."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    import getpass

    return getpass.getuser()


@functools.lru_cache(maxsize=1)
def _static_tags() -> tuple[tuple[str, str], ...]:
    tags: dict[str, str] = {E.SOURCE_TYPE_TAG: "LOCAL"}
    try:
        tags[E.USER_TAG] = _user()
    except Exception as exc:  # noqa: BLE001 - no user name in some containers
        logger.debug("autolog: no user name for the mlflow.user tag: %r", exc)
    script = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if script and os.path.exists(script):
        tags[E.SOURCE_NAME_TAG] = os.path.abspath(script)
        commit = _git_commit(os.path.dirname(os.path.abspath(script)))
        if commit:
            tags[E.GIT_COMMIT_TAG] = commit
    elif script:
        tags[E.SOURCE_NAME_TAG] = script
    return tuple(tags.items())


def default_run_tags() -> dict[str, str]:
    return dict(_static_tags())
