"""Every charge of a simulated account, generated deterministically per (seed, account, UTC day).

A day's charges depend only on the seed, the account and the day, so the same day always has
the same usage whatever time the simulator started; today shows the charges already past.
Money is kept in integer micro-dollars (6 decimal places) so every total is an exact sum.
Each day's charges draw on the DIEM allocation first and spill into USD once it is spent.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import accumulate
from operator import itemgetter

from venice_simulator.catalog import AccountProfile, KeySpec, ModelSpec

MICRO = 1_000_000
DAY_MS = 86_400_000
HISTORY_DAYS = 180  # older days have no usage, which bounds every walk through the ledger
# Busier in European and American working hours (UTC), quiet at night.
_HOUR_WEIGHTS = (2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 8, 9, 9, 9, 8, 6, 5, 4, 3, 3, 2)
_HOURS = tuple(range(24))
_HOUR_CUMULATIVE = tuple(accumulate(_HOUR_WEIGHTS))


@dataclass(frozen=True, slots=True)
class Charge:
    """One priced line of one request; `diem` + `usd` (micro-dollars) is its whole cost."""

    ts_ms: int
    request_id: str
    model: ModelSpec
    key: KeySpec
    key_id: str | None
    token_type: str
    units: Decimal  # in the model's unit type (tokens for LLMs)
    price: Decimal  # USD per priced unit (per million tokens for LLMs)
    diem: int
    usd: int
    prompt_tokens: int | None
    completion_tokens: int | None
    exec_ms: int | None

    @property
    def cost(self) -> int:
        return self.diem + self.usd


def day_start_ms(day: date) -> int:
    """Unix milliseconds of 00:00 UTC on `day`."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) * 1000


@lru_cache(maxsize=256)
def key_id(seed: int, key: KeySpec) -> str | None:
    """A stable UUID-shaped id for a key; None for the Web App."""
    if key.name is None:
        return None
    return str(uuid.UUID(int=random.Random(f"{seed}:key:{key.name}").getrandbits(128), version=4))


def key_label(seed: int, key: KeySpec) -> str:
    """The key's description, or `Key ...ab12cd` for a key that has none (as Venice names it)."""
    if key.description:
        return key.description
    ident = key_id(seed, key) or ""
    return f"Key ...{ident[-6:]}"


def _micro(amount: Decimal) -> int:
    """Micro-dollars, rounded half up, never zero: Venice does not record free charges."""
    return max(1, int((amount * MICRO).to_integral_value(rounding=ROUND_HALF_UP)))


def _request_units(rng: random.Random, model: ModelSpec, size: float) -> list[tuple[str, Decimal]]:
    """(priced type, units) of one request; LLM token counts are whole tokens."""
    if model.model_type == "LLM":
        prompt = int(rng.lognormvariate(10.3, 0.6) * size) + 200  # median ~30k tokens
        parts = [("Input", prompt), ("Output", int(rng.lognormvariate(8.6, 0.7) * size) + 20)]
        if len(model.prices) > 2 and rng.random() < 0.7:
            parts.append(("Cache Read", int(prompt * rng.uniform(0.5, 2.5))))
            if rng.random() < 0.2:
                parts.append(("Cache Write", int(prompt * rng.uniform(0.2, 1))))
        return [(kind, Decimal(units)) for kind, units in parts]
    kind = model.prices[0][0]
    if model.model_type == "IMAGE":
        return [(kind, Decimal(rng.choice((1, 1, 1, 2, 4))))]
    if model.model_type == "TTS":
        return [(kind, Decimal(int(rng.uniform(300, 9000) * max(size, 0.3))))]
    if model.model_type == "ASR":
        return [(kind, Decimal(rng.randint(30, 4500)) / 100)]  # minutes, two decimals
    return [(kind, Decimal(rng.choice((5, 5, 8, 10))))]  # VIDEO seconds


# A charge before its currency is known: (ts, request id, model, key, key id, token type, units,
# price, cost, prompt tokens, completion tokens, execution ms).
_Draft = tuple[
    int,
    str,
    ModelSpec,
    KeySpec,
    str | None,
    str,
    Decimal,
    Decimal,
    int,
    int | None,
    int | None,
    int,
]


def _draw(rng: random.Random, seed: int, profile: AccountProfile, day: date) -> list[_Draft]:
    """The day's charges before currencies are assigned, ordered by time."""
    if profile.steady:
        volume: float = profile.requests_per_day
    else:
        weekend = day.weekday() >= 5
        volume = profile.requests_per_day * rng.lognormvariate(0, 0.3) * (0.55 if weekend else 1)
    models, model_weights = zip(*profile.models, strict=True)
    keys, key_weights = zip(*profile.keys, strict=True)
    model_cumulative = list(accumulate(model_weights))
    key_cumulative = list(accumulate(key_weights))
    start = day_start_ms(day)
    drafts: list[_Draft] = []
    for _ in range(int(volume)):
        if profile.steady:
            ts = start + rng.randrange(DAY_MS)
        else:
            hour = rng.choices(_HOURS, cum_weights=_HOUR_CUMULATIVE)[0]
            ts = start + hour * 3_600_000 + rng.randrange(3_600_000)
        model = rng.choices(models, cum_weights=model_cumulative)[0]
        key = rng.choices(keys, cum_weights=key_cumulative)[0]
        request_id = f"req-{rng.getrandbits(64):016x}"
        prices = dict(model.prices)
        lines = _request_units(rng, model, profile.size)
        prompt = completion = None
        if model.model_type == "LLM":
            prompt = int(sum(u for kind, u in lines if kind != "Output"))
            completion = int(sum(u for kind, u in lines if kind == "Output"))
        exec_ms = rng.randint(300, 90_000)
        for kind, units in lines:
            per_unit = prices[kind] / MICRO if model.model_type == "LLM" else prices[kind]
            cost = _micro(units * per_unit)
            line = (ts, request_id, model, key, key_id(seed, key), kind, units, prices[kind], cost)
            drafts.append((*line, prompt, completion, exec_ms))
    drafts.sort(key=itemgetter(0))
    return drafts


def _spend(
    drafts: list[_Draft], allocation: Decimal, diem_share: Decimal | None
) -> tuple[Charge, ...]:
    """Charge DIEM until the day's allocation is spent, then USD; one charge may be split.
    With DIEM_SHARE, only that share of each charge goes to DIEM while it lasts."""
    left = int(allocation * MICRO)
    settled: list[Charge] = []
    for ts, request, model, key, ident, kind, units, price, cost, *details in drafts:
        wanted = cost if diem_share is None else int(cost * diem_share)
        diem = min(left, wanted)
        left -= diem
        head = (ts, request, model, key, ident, kind, units, price, diem, cost - diem)
        settled.append(Charge(*head, *details))
    return tuple(settled)


@lru_cache(maxsize=1024)
def day_charges(seed: int, profile: AccountProfile, day: date) -> tuple[Charge, ...]:
    """All charges of one whole UTC day, ascending by time (cached: it is a pure function)."""
    if not profile.models:
        return ()
    rng = random.Random(f"{seed}:{profile.name}:{day.isoformat()}")
    if rng.random() < profile.quiet_chance:
        return ()
    return _spend(_draw(rng, seed, profile, day), profile.diem_allocation, profile.diem_share)


def charges_until(
    seed: int, profile: AccountProfile, day: date, now: datetime
) -> tuple[Charge, ...]:
    """The day's charges made at or before `now`: none in the future or beyond the history."""
    today = now.astimezone(UTC).date()
    if day > today or day <= today - timedelta(days=HISTORY_DAYS):
        return ()
    charges = day_charges(seed, profile, day)
    if day < today:
        return charges
    now_ms = int(now.timestamp() * 1000)
    return tuple(c for c in charges if c.ts_ms <= now_ms)
