"""autolog's logger and its one way to warn from hooks, threads and the exit path."""

from __future__ import annotations

import logging
import warnings

import pytest

from autolog.errors import AutologWarning
from autolog.logger import warn


def test_warn_is_an_autolog_warning() -> None:
    """warn() emits an AutologWarning with the message."""
    with pytest.warns(AutologWarning, match="three rows were lost"):
        warn("autolog: three rows were lost")


def test_warn_under_an_error_filter_logs_the_message_instead_of_raising(
        caplog: pytest.LogCaptureFixture) -> None:
    """Where warnings are errors, warn() raises nothing and the message reaches the
    autolog logger at WARNING level: not lost, and not raised into the user's code."""
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING, logger="autolog"):
        warnings.simplefilter("error")
        warn("autolog: two params were cut")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("autolog", logging.WARNING, "autolog: two params were cut")]
