"""A local Venice billing API with deterministic, realistic data (see `venice-bot simulate`).

Keys: `sim-admin-team` (DIEM staking plus USD), `sim-admin-usd` (USD only), `sim-admin-empty`
(no usage), `sim-admin-draining` (USD falling all day), `sim-inference` (an inference key); any
other key is unknown to it.
"""

from venice_simulator.accounts import (
    DRAINING_KEY,
    EMPTY_KEY,
    EXAMPLE_KEYS,
    INFERENCE_KEY,
    TEAM_KEY,
    USD_KEY,
)
from venice_simulator.app import Simulator
from venice_simulator.control import RecordedCall
from venice_simulator.faults import Faults

__all__ = [
    "DRAINING_KEY",
    "EMPTY_KEY",
    "EXAMPLE_KEYS",
    "INFERENCE_KEY",
    "TEAM_KEY",
    "USD_KEY",
    "Faults",
    "RecordedCall",
    "Simulator",
]
