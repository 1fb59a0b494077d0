"""ChannelPacer: one message a second per channel, and it forgets channels gone quiet."""

from __future__ import annotations

import asyncio

from adapters.slack.pacing import FORGET_AFTER, PRUNE_AT, ChannelPacer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def post_once(pacer: ChannelPacer, key: str) -> None:
    async with pacer.hold(key) as lane, lane.send():
        pass


async def test_a_second_message_into_a_channel_waits_its_interval() -> None:
    pacer = ChannelPacer(interval=0.2)
    loop = asyncio.get_running_loop()
    await post_once(pacer, "T1/C1")
    started = loop.time()
    await post_once(pacer, "T1/C2")  # another channel: at once
    assert loop.time() - started < 0.1
    await post_once(pacer, "T1/C1")
    assert loop.time() - started >= 0.19


async def test_quiet_channels_are_forgotten_and_busy_ones_kept() -> None:
    clock = Clock()
    pacer = ChannelPacer(interval=0.0, clock=clock)
    for number in range(PRUNE_AT - 1):
        await post_once(pacer, f"T1/OLD{number}")
    clock.now += FORGET_AFTER + 1
    async with pacer.hold("T1/OLD0"):  # quiet, but held by a poster right now
        await post_once(pacer, "T1/RECENT")
        for number in range(PRUNE_AT * 2):
            await post_once(pacer, f"T1/NEW{number}")
    lanes = pacer._lanes
    assert "T1/RECENT" in lanes
    assert "T1/OLD0" in lanes
    assert not any(key.startswith("T1/OLD") and key != "T1/OLD0" for key in lanes)
    assert len(lanes) == PRUNE_AT * 2 + 2


async def test_busy_channels_are_never_forgotten_however_many() -> None:
    clock = Clock()
    pacer = ChannelPacer(interval=0.0, clock=clock)
    for number in range(PRUNE_AT * 5):
        await post_once(pacer, f"T1/C{number}")
        clock.now += 0.001  # all within FORGET_AFTER of each other
    assert len(pacer._lanes) == PRUNE_AT * 5


async def test_new_channels_do_not_each_scan_every_lane() -> None:
    # A tick posting into thousands of channels: a scan per new channel was quadratic.
    scans = 0

    def clock() -> float:  # only a scan for quiet lanes reads the clock in hold()
        nonlocal scans
        scans += 1
        return 1000.0

    pacer = ChannelPacer(interval=0.0, clock=clock)
    for number in range(PRUNE_AT * 8):
        async with pacer.hold(f"T1/C{number}"):
            pass
    assert len(pacer._lanes) == PRUNE_AT * 8
    assert scans <= 4  # at 1x, 2x, 4x PRUNE_AT lanes
