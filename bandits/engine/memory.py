"""What a simulation costs in memory, and the refusal of what cannot fit in this machine's."""

from __future__ import annotations

import os

from . import metrics

__all__ = ["estimate_bytes", "machine_memory", "check_memory", "gib"]


def estimate_bytes(runs: int, checkpoints: int, K: int = 0, m: int = 0) -> int:
    """Memory one simulation needs: the metric arrays (runs x metrics x checkpoints x 8 bytes)
    and the instance's arrays (K x m kernel and its temporaries, per-arm state)."""
    return 8 * runs * len(metrics.METRICS) * checkpoints + 8 * K * (4 * m + 8)


def machine_memory() -> int:
    """Physical memory of this machine in bytes (0 when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return 0


def check_memory(nbytes: int, what: str) -> None:
    """Refuse, with one line, what cannot fit in this machine's memory."""
    total = machine_memory()
    if total and nbytes > total:
        raise ValueError(f"{what} needs about {gib(nbytes)} of memory, more than this machine has "
                         f"({gib(total)}); use fewer runs, checkpoints or arms")


def gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.3g} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.3g} MiB"
