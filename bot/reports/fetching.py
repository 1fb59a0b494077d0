"""Fetching a report's main figures and an optional extra (runway, comparison) at the same time."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from bot.errors import VeniceError

A = TypeVar("A")
B = TypeVar("B")


async def _optional(extra: Coroutine[Any, Any, B]) -> B | VeniceError:
    try:
        return await extra
    except VeniceError as error:
        return error


async def fetch_alongside(
    main: Coroutine[Any, Any, A], extra: Coroutine[Any, Any, B] | None
) -> tuple[A, B | VeniceError | None]:
    """Run both at once. MAIN's error propagates as is (and cancels EXTRA); EXTRA's VeniceError
    is returned instead, because a report can still be answered without it."""
    if extra is None:
        return await main, None
    try:
        async with asyncio.TaskGroup() as group:
            main_task = group.create_task(main)
            extra_task = group.create_task(_optional(extra))
    except BaseExceptionGroup as failed:
        # The core turns VeniceError into a card; a group of one would slip past it.
        raise failed.exceptions[0] from None
    return main_task.result(), extra_task.result()
