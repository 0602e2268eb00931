"""Distributed training: which process may create runs. Decided in one place.

Only global rank zero logs. The rank comes from the launcher's environment (``RANK``,
``SLURM_PROCID``; ``LOCAL_RANK``/``NODE_RANK`` as set by Lightning's launcher for its
children) and, once initialized, from ``torch.distributed`` — never by importing torch.
"""

from __future__ import annotations

import os
import sys

from autolog.logger import logger

_ENV_RANK: int | None = None
_ENV_READ = False


def _env_rank() -> int | None:
    global _ENV_RANK, _ENV_READ
    if not _ENV_READ:
        _ENV_READ = True
        for name in ("RANK", "SLURM_PROCID"):
            value = os.environ.get(name, "").strip()
            if value.isdigit():
                _ENV_RANK = int(value)
                break
        else:
            local = os.environ.get("LOCAL_RANK", "").strip()
            node = os.environ.get("NODE_RANK", "").strip()
            if (local.isdigit() and int(local) > 0) or (node.isdigit() and int(node) > 0):
                _ENV_RANK = max(int(local or 0), 1)  # not rank zero; exact rank unknown
    return _ENV_RANK


def global_rank() -> int:
    dist = sys.modules.get("torch.distributed")
    if dist is not None:
        try:
            if dist.is_available() and dist.is_initialized():
                return int(dist.get_rank())
        except Exception as exc:  # noqa: BLE001 - a half-initialized process group
            logger.debug("autolog: no rank from torch.distributed (%r): the environment's", exc)
    rank = _env_rank()
    return 0 if rank is None else rank


def is_rank_zero() -> bool:
    return global_rank() == 0


def node_id() -> str:
    return os.environ.get("NODE_RANK") or os.environ.get("SLURM_NODEID") or "0"


def reset() -> None:
    """Forget the cached environment (tests and forked launchers)."""
    global _ENV_READ, _ENV_RANK
    _ENV_READ = False
    _ENV_RANK = None
