"""What the simulated accounts buy: models with their prices, API keys, and account profiles.

Prices are per unit in USD (per million tokens for LLMs, per image, per character, per minute,
per second of video). They are plausible, not Venice's price list.

A key's limits are what `GET /api_keys` reports. The ledger does not refuse a request past a
key's limit, so the limits are set above what each key spends in its period (the team's support
bot excepted: its owner raises its DIEM cap in steps, keeping it near the cap, see KeyLimits).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

D = Decimal


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model: display name, Venice-style id, type, unit, and price per unit by token type."""

    name: str
    model_id: str
    model_type: str  # LLM, IMAGE, TTS, ASR, VIDEO
    unit_type: str  # tokens, images, chars, minutes, seconds
    prices: tuple[tuple[str, Decimal], ...]  # (token type, USD per unit); LLM units are Mtokens

    def sku(self, token_type: str) -> str:
        """The ledger SKU, shaped like Venice's `zai-org-glm-5-1-llm-output-mtoken`."""
        if self.model_type == "LLM":
            return f"{self.model_id}-llm-{token_type.lower().replace(' ', '-')}-mtoken"
        unit = {"images": "image-unit", "chars": "char", "minutes": "minute", "seconds": "second"}
        return f"{self.model_id}-{self.model_type.lower()}-{unit[self.unit_type]}"


def _llm(name: str, model_id: str, inp: str, out: str, cache: str | None) -> ModelSpec:
    prices = [("Input", D(inp)), ("Output", D(out))]
    if cache is not None:
        # Cache reads cost a fifth of input; cache writes a quarter more than input.
        prices += [("Cache Read", D(inp) / 5), ("Cache Write", D(inp) * D("1.25"))]
    return ModelSpec(name, model_id, "LLM", "tokens", tuple(prices))


GLM = _llm("GLM 5.1", "zai-org-glm-5-1", "0.85", "2.75", "cache")
KIMI = _llm("Kimi K2.6", "kimi-k2-6", "0.95", "4.00", "cache")
DEEPSEEK = _llm("DeepSeek V3.2", "deepseek-v3-2", "0.40", "1.00", "cache")
QWEN = _llm("Qwen 3 235B", "qwen3-235b", "0.90", "4.50", "cache")
UNCENSORED = _llm("Venice Uncensored", "venice-uncensored", "0.20", "0.90", None)
LLAMA = _llm("Llama 3.3 70B", "llama-3.3-70b", "0.70", "2.80", None)
FLUX = ModelSpec("Flux 2 Pro", "flux-2-pro", "IMAGE", "images", (("Image", D("0.04")),))
SD35 = ModelSpec("Venice SD35", "venice-sd35", "IMAGE", "images", (("Image", D("0.01")),))
BANANA = ModelSpec("Nano Banana Pro", "nano-banana-pro", "IMAGE", "images", (("Image", D("0.18")),))
KOKORO = ModelSpec("Kokoro TTS", "tts-kokoro", "TTS", "chars", (("Chars", D("0.0000035")),))
ELEVEN = ModelSpec("ElevenLabs v3", "elevenlabs-v3", "TTS", "chars", (("Chars", D("0.00012")),))
WHISPER = ModelSpec("Whisper Large V3", "whisper-v3", "ASR", "minutes", (("Audio", D("0.006")),))
PARAKEET = ModelSpec("Parakeet TDT", "parakeet-tdt", "ASR", "minutes", (("Audio", D("0.003")),))
WAN = ModelSpec("Wan 2.5", "wan-2-5", "VIDEO", "seconds", (("Video", D("0.10")),))
KLING = ModelSpec("Kling 2.6 Pro", "kling-2-6-pro", "VIDEO", "seconds", (("Video", D("0.14")),))


@dataclass(frozen=True, slots=True)
class KeyLimits:
    """A key's consumption limits per currency (None: no limit; 0: that currency disabled) over
    `period` (EPOCH: the UTC day, MONTH: the UTC month, LIFETIME: since the key was created).

    `diem_kept_near`: the DIEM limit is not fixed but raised in steps of DIEM_CAP_STEP whenever
    the period's DIEM use passes this share of it, so the key always sits just under its cap
    (the simulator's clock is the real one: a fixed cap would be passed, or never neared).
    """

    period: str = "EPOCH"
    usd: Decimal | None = None
    diem: Decimal | None = None
    diem_kept_near: Decimal | None = None

    @property
    def limited(self) -> bool:
        """True when the key has a limit in some currency."""
        return self.usd is not None or self.diem is not None or self.diem_kept_near is not None


NO_LIMITS = KeyLimits()
DIEM_CAP_STEP = D(50)


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One API key as usage-analytics names it; `name` None is the Web App row.

    The rest is what `GET /api_keys` says of it: its type, limits, and its age and expiry in
    days relative to today (the simulated history moves with the clock, see ledger.py).
    """

    name: str | None
    description: str
    key_type: str = "INFERENCE"
    limits: KeyLimits = NO_LIMITS
    created_days_ago: int = 400
    expires_in_days: int | None = None


WEB_APP = KeySpec(None, "Web App")


@dataclass(frozen=True, slots=True)
class AccountProfile:
    """How one simulated account spends: volume, mix of models and keys, DIEM staked."""

    name: str
    requests_per_day: int
    quiet_chance: float  # share of days with no usage at all
    models: tuple[tuple[ModelSpec, int], ...]  # (model, weight)
    keys: tuple[tuple[KeySpec, int], ...]  # (key, weight)
    diem_allocation: Decimal
    usd_base: Decimal  # USD balance before today's spending
    size: float  # scales request sizes (tokens, images, seconds)
    # Venice has answered byDate both ways: newest first as ISO timestamps with only the days
    # that had usage (the spec's example), and oldest first as YYYY-MM-DD with every day.
    newest_first: bool
    # Keys `GET /api_keys` lists that make no requests (usage-analytics never shows them).
    idle_keys: tuple[KeySpec, ...] = ()
    # A steady account: requests spread evenly over the 24 hours, the same volume every day,
    # no quiet days, so its balances move smoothly with the clock.
    steady: bool = False
    # None: each charge draws on DIEM until the allocation is spent, then on USD (as Venice
    # charges). A share: each charge puts that share on DIEM while it lasts, the rest on USD,
    # so both balances move all day.
    diem_share: Decimal | None = None
    # None: the day opens with `usd_base`. An amount: the day opens with the whole day's USD
    # spend plus this floor (a top-up at 00:00 UTC), so the balance ends the day at the floor.
    usd_floor: Decimal | None = None


TEAM = AccountProfile(
    name="team",
    requests_per_day=300,
    quiet_chance=0.04,
    models=(
        (GLM, 30),
        (KIMI, 22),
        (DEEPSEEK, 16),
        (QWEN, 10),
        (UNCENSORED, 6),
        (LLAMA, 5),
        (FLUX, 4),
        (SD35, 3),
        (BANANA, 1),
        (KOKORO, 1),
        (ELEVEN, 1),
        (WHISPER, 1),
        (PARAKEET, 1),
        (WAN, 1),
        (KLING, 1),
    ),
    keys=(
        (
            KeySpec(
                "production",
                "Production API",
                limits=KeyLimits("MONTH", usd=D(1500), diem=D(6000)),
                created_days_ago=412,
            ),
            45,
        ),
        (KeySpec("pipeline", "Data pipeline", key_type="ADMIN", created_days_ago=300), 25),
        (
            KeySpec(
                "support",
                "Support bot",
                limits=KeyLimits("LIFETIME", usd=D(1000), diem_kept_near=D("0.96")),
                created_days_ago=181,
            ),
            12,
        ),
        (
            KeySpec(
                "staging",
                "Staging",
                limits=KeyLimits("EPOCH", diem=D(40)),
                created_days_ago=250,
                expires_in_days=45,
            ),
            8,
        ),
        (KeySpec("unnamed", ""), 4),
        (WEB_APP, 6),
    ),
    diem_allocation=D(250),
    usd_base=D("1843.27"),
    size=16.0,
    newest_first=True,
    idle_keys=(
        KeySpec(
            "sandbox",
            "Intern sandbox",
            limits=KeyLimits("EPOCH", usd=D(0), diem=D(5)),
            created_days_ago=9,
            expires_in_days=21,
        ),
    ),
)

SOLO = AccountProfile(
    name="usd",
    requests_per_day=40,
    quiet_chance=0.08,
    models=((DEEPSEEK, 40), (GLM, 25), (UNCENSORED, 20), (SD35, 10), (WHISPER, 5)),
    keys=((KeySpec("personal", "Personal laptop", key_type="ADMIN"), 70), (WEB_APP, 30)),
    diem_allocation=D(0),
    usd_base=D("86.40"),
    size=7.0,
    newest_first=False,
)

EMPTY = AccountProfile(
    name="empty",
    requests_per_day=0,
    quiet_chance=1.0,
    models=(),
    keys=(),
    diem_allocation=D(0),
    usd_base=D(0),
    size=0.0,
    newest_first=True,
    idle_keys=(KeySpec("first", "First key", key_type="ADMIN", created_days_ago=0),),
)

# USD falls all day, minute by minute, and DIEM used rises: for watching a low-balance alert
# fire within minutes. About 720 requests a day, one every two minutes.
DRAINING = AccountProfile(
    name="draining",
    requests_per_day=720,
    quiet_chance=0.0,
    models=((GLM, 50), (DEEPSEEK, 30), (FLUX, 20)),
    keys=(
        (
            KeySpec(
                "batch",
                "Batch jobs",
                limits=KeyLimits("EPOCH", usd=D(1000)),
                created_days_ago=200,
            ),
            70,
        ),
        (KeySpec("agent", "Night agent", key_type="ADMIN", created_days_ago=190), 30),
    ),
    diem_allocation=D(120),
    usd_base=D(0),
    size=12.0,
    newest_first=False,
    steady=True,
    diem_share=D("0.25"),
    usd_floor=D(5),
)
