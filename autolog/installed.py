"""What is installed, read lean: the entry points of autolog's plugin groups, and the
versions of distributions.

``importlib.metadata`` costs tens of milliseconds to import and scan, and ~1 ms a version
(it parses each ``METADATA`` with the email parser); ``autolog()`` must cost a few, and the
first model a fit logs pins a dozen versions. This lists the ``*.dist-info`` /
``*.egg-info`` folders on ``sys.path`` once, with importlib's first-found-wins rule: it reads
the ``entry_points.txt`` of each, and takes a version from a wheel's folder name
(``scikit_learn-1.9.1.dist-info``: the name and version that installers write there).
Anything it cannot read is skipped (a broken distribution must not break discovery); a
version it did not find there (an ``.egg-info``, a zipped path) is asked of
``importlib.metadata``.
"""

from __future__ import annotations

import functools
import os
import re
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
_DIST_INFO = ".dist-info"


class _Scan:
    def __init__(self) -> None:
        self.groups: dict[str, dict[str, str]] = {}  # autolog.* group -> {name: target}
        self.versions: dict[str, str] = {}  # normalized name -> version of a wheel install


_scanned: _Scan | None = None


def _normalized(name: str) -> str:
    """PEP 503's form of a distribution name: ``Scikit_Learn`` is ``scikit-learn``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def entry_points(group: str) -> dict[str, str]:
    """``{name: "module:attr"}`` for every entry point in ``group`` (an ``autolog.*``
    group). The distributions are read once per process, for every such group together:
    enabling reads the integrations, the first run the backends."""
    return dict(_scan().groups.get(group, {}))


@functools.cache
def version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None; never imports it."""
    found = _scan().versions.get(_normalized(dist))
    if found is not None:
        return found
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - broken metadata must not break model logging
        return None


def _scan() -> _Scan:
    global _scanned
    if _scanned is None:
        _scanned = _read()
    return _scanned


def _read() -> _Scan:
    scan = _Scan()
    seen: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith((_DIST_INFO, ".egg-info")):
                continue
            stem, _, ver = name.rsplit(".", 1)[0].partition("-")
            dist = _normalized(stem)
            if dist in seen:
                continue
            seen.add(dist)
            if name.endswith(_DIST_INFO) and ver:
                scan.versions[dist] = ver
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
                    found = scan.groups.setdefault(group, {})
                    for ep_name, value in points.items():
                        found.setdefault(ep_name, value)
    return scan
