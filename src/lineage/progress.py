"""Progress reporting of long work: callbacks the library calls, the CLI draws."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

Progress = Callable[[int], None]
"""Called with the amount of work just done."""
StageProgress = Callable[[str, int | None], AbstractContextManager[Progress]]
"""Opens a progress display for one stage (label, total if known), yielding its advance."""


def no_progress(label: str, total: int | None) -> AbstractContextManager[Progress]:
    """A stage that reports nowhere."""
    return nullcontext(lambda n: None)
