"""Named crash points for fault-injection tests of multi-step operations (erase, copy).

``LINEAGE_FAULT_AT=erase.after-statement`` (say) makes the process stop dead at that
point, as ``kill -9`` would: no exception, no rollback, no cleanup. Unset (always, but
in tests), :func:`reached` does nothing.
"""

from __future__ import annotations

import os

FAULT_ENV = "LINEAGE_FAULT_AT"
KILLED_EXIT = 137
"""The exit status of a process stopped at a crash point (as after SIGKILL)."""


def reached(point: str) -> None:
    """Stop the process at once if the crash point ``point`` was asked for."""
    if os.environ.get(FAULT_ENV) == point:
        os._exit(KILLED_EXIT)
