"""Decoded answers this process already holds, kept while fresh.

A warm hit then costs neither a Redis round trip nor decoding a large JSON document. Only
fresh answers live here: whether an older one may be shown stale is decided from the shared
entry, which every process sees.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from bot.venice.source import Fetched

DEFAULT_MAX_ENTRIES = 256  # a 90-day usage answer decodes to about a megabyte of objects


class NearCache:
    """A bounded map from entry key to Fetched answer; least recently used leaves first."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, Fetched[Any]] = OrderedDict()
        self._max_entries = max(0, max_entries)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> Fetched[Any] | None:
        """The answer under KEY, if held (the caller judges its freshness)."""
        fetched = self._entries.get(key)
        if fetched is not None:
            self._entries.move_to_end(key)
        return fetched

    def put(self, key: str, fetched: Fetched[Any]) -> None:
        """Hold FETCHED under KEY, replacing any older answer."""
        if self._max_entries == 0:
            return
        held = self._entries.get(key)
        if held is not None and held.fetched_at > fetched.fetched_at:
            return  # never replace a newer answer with an older one
        self._entries[key] = fetched
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        """Forget the answer under KEY."""
        self._entries.pop(key, None)
