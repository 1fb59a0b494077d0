"""What the simulated accounts buy: models with their prices, API keys, and account profiles.

Prices are per unit in USD (per million tokens for LLMs, per image, per character, per minute,
per second of video). They are plausible, not Venice's price list.
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
class KeySpec:
    """One API key as usage-analytics names it; `name` None is the Web App row."""

    name: str | None
    description: str


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
        (KeySpec("production", "Production API"), 45),
        (KeySpec("pipeline", "Data pipeline"), 25),
        (KeySpec("support", "Support bot"), 12),
        (KeySpec("staging", "Staging"), 8),
        (KeySpec("unnamed", ""), 4),
        (WEB_APP, 6),
    ),
    diem_allocation=D(250),
    usd_base=D("1843.27"),
    size=16.0,
    newest_first=True,
)

SOLO = AccountProfile(
    name="usd",
    requests_per_day=40,
    quiet_chance=0.08,
    models=((DEEPSEEK, 40), (GLM, 25), (UNCENSORED, 20), (SD35, 10), (WHISPER, 5)),
    keys=((KeySpec("personal", "Personal laptop"), 70), (WEB_APP, 30)),
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
)
