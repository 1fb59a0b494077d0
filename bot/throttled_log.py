"""Warnings that something keeps happening, logged at most once a minute per kind.

Anyone who can reach the bot's URL can make it refuse requests as fast as they can send them;
one line per refusal would fill the logs and page whoever watches them. A ThrottledWarnings
logs the first of a kind at once, then at most one line per interval saying how many more there
were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

EVERY_SECONDS = 60.0


class ThrottledWarnings:
    """One warning line per key at most every EVERY seconds, on LOGGER, counting the rest."""

    def __init__(
        self,
        logger: logging.Logger,
        *,
        every: float = EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}  # occurrences since the last line, by key

    def warn(self, key: str, message: str) -> bool:
        """Log MESSAGE unless KEY was logged less than EVERY seconds ago; True when logged."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            self._quiet[key] = self._quiet.get(key, 0) + 1
            return False
        quiet = self._quiet.pop(key, 0)
        self._last[key] = now
        if last is None:
            self._log.warning("%s (logged at most once a minute)", message)
        else:
            self._log.warning("%s (%d more in the last %d s)", message, quiet, now - last)
        return True
