"""A lean reader of installed entry points, for plugin discovery.

``importlib.metadata`` costs tens of milliseconds to import and scan; ``autolog()`` must
cost a few. This reads the ``entry_points.txt`` of each ``*.dist-info`` / ``*.egg-info``
folder on ``sys.path`` directly, with the same first-found-wins rule. Anything it cannot
read is skipped (a broken distribution must not break discovery).
"""

from __future__ import annotations

import os
import sys


def _sections(text: str) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = found.setdefault(line[1:-1].strip(), {})
        elif current is not None and "=" in line:
            name, _, value = line.partition("=")
            current.setdefault(name.strip(), value.strip())
    return found


_PREFIX = "autolog."
_groups: dict[str, dict[str, str]] | None = None


def entry_points(group: str) -> dict[str, str]:
    """``{name: "module:attr"}`` for every entry point in ``group`` (an ``autolog.*``
    group). The distributions are read once per process, for every such group together:
    enabling reads the integrations, the first run the backends."""
    global _groups
    if _groups is None:
        _groups = _scan()
    return dict(_groups.get(group, {}))


def _scan() -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            dist = name.rsplit("-", 1)[0].split("-")[0].lower().replace("_", "-")
            if dist in seen:
                continue
            seen.add(dist)
            path = os.path.join(entry or ".", name, "entry_points.txt")
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError:
                continue
            if _PREFIX not in text:
                continue
            for group, points in _sections(text).items():
                if group.startswith(_PREFIX):
                    found = groups.setdefault(group, {})
                    for ep_name, value in points.items():
                        found.setdefault(ep_name, value)
    return groups
