"""One doctor check's outcome (``Check``) and the guard that keeps tracebacks away from users.

Every check module returns ``Check`` values; the report only reads them. Kept apart so the
checks and the report depend on this small module rather than on each other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from voice_assistant.errors import AssistantError

log = logging.getLogger(__name__)

Status = Literal["ok", "warning", "problem"]
LABELS: Mapping[Status, str] = {"ok": "OK", "warning": "WARNING", "problem": "PROBLEM"}
INDENT = " " * 9
"""Lines under a check (its details, notices) line up after the label."""


@dataclass(frozen=True)
class Check:
    """The outcome of one check: ``message`` is a full sentence, with what to do on trouble."""

    name: str
    status: Status
    essential: bool
    message: str
    details: tuple[str, ...] = ()
    """Extra lines shown under the message (e.g. each problem in the settings file)."""

    @property
    def blocking(self) -> bool:
        """A problem that stops the assistant from working (makes the exit code non-zero)."""
        return self.status == "problem" and self.essential

    def lines(self) -> list[str]:
        head = f"{LABELS[self.status]:<8} {self.name}: {self.message}"
        return [head, *(f"{INDENT}- {detail}" for detail in self.details)]


def guarded(name: str, essential: bool, check: Callable[[], Check]) -> Check:
    """Run one check; any exception becomes a PROBLEM line instead of a traceback."""
    try:
        return check()
    except AssistantError as exc:
        return Check(name, "problem", essential, str(exc))
    except Exception as exc:
        log.debug("doctor check %s failed", name, exc_info=True)
        return Check(
            name,
            "problem",
            essential,
            f"the check failed unexpectedly ({type(exc).__name__}: {exc}). "
            "Run `heat-or-ice doctor -v` to see the details, and report them.",
        )
