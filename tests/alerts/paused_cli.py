"""`python -m tests.alerts.paused_cli MARKER ARGS...`: `venice-bot ARGS`, except that the first
delivery about to be recorded `sending` (its claim committed with the rule's crossing, nothing
written of the post yet, nothing posted) writes its id to the file MARKER and waits there, for
the test to `kill -9` the process at that very step. Everything else is the real CLI."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from adapters.cli.main import main
from bot.store.deliveries import Delivery, DeliveryStore


def pause_before_sending(marker: Path) -> None:
    """From now on, `DeliveryStore.sending` says where it is in MARKER and never returns."""

    async def paused(self: DeliveryStore, delivery: Delivery, *, began: datetime) -> Delivery:
        written = marker.with_suffix(".part")
        written.write_text(str(delivery.id))
        os.replace(written, marker)  # the test sees the whole id or nothing
        await asyncio.Event().wait()  # until the test kills the process
        raise AssertionError("not reached")

    DeliveryStore.sending = paused  # type: ignore[method-assign]


if __name__ == "__main__":
    pause_before_sending(Path(sys.argv[1]))
    sys.exit(main(sys.argv[2:]))
