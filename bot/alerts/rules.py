"""The words of an alert rule (`alert on RULE`), read by their shape, and how a rule is said
back to people; also the two other words alert commands take: a rule's id and a snooze length.

The forms (RULE_FORMS), each as typed and its canonical text (`AlertRule.text`):

    usd below AMOUNT      usd below 25       the USD balance under AMOUNT
    diem used PERCENT     diem used 80%      today's DIEM allocation used reaches PERCENT
    runway below DAYS     runway below 7d    the USD runway under DAYS
    spend above AMOUNT    spend above 50     today's spend (USD + DIEM) passes AMOUNT
    spike                 spike              a day's spend over twice the 7-day median
    key-cap PERCENT       key-cap 90%        any API key reaches PERCENT of its own limit
    funds-out             funds-out          Venice says the account cannot consume

Tolerant as people type: any case; `$25`, `25 usd`, `25.50`, `1,000`; `80%`, `80 %`, `80`;
`7d`, `7 days`, `7`; `key cap`, `funds out`; the middle word may be left out (`usd 25`) or be a
synonym (`under`, `over`). Refused, with one sentence and an example: an unknown rule word (the
closest is suggested), a missing, zero, negative or absurd threshold (percentages 1-100 with at
most one decimal, days 1-90 whole, amounts over 0 and at most 1,000,000 to the cent), and
anything after the rule. User text is quoted back only clipped (bot/echo.py).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Literal, get_args

from bot.echo import clip_echo
from bot.errors import CommandTextError
from bot.money import format_usd

RuleKind = Literal[
    "usd_below", "diem_used", "runway_below", "spend_above", "spike", "key_cap", "funds_out"
]
RULE_KINDS: tuple[RuleKind, ...] = get_args(RuleKind)
Unit = Literal["amount", "percent", "days"]

MAX_AMOUNT = Decimal(1_000_000)
MIN_PERCENT, MAX_PERCENT = Decimal(1), Decimal(100)
MIN_DAYS, MAX_DAYS = 1, 90
MAX_RULE_ID = 999_999
MAX_SNOOZE = timedelta(weeks=4)

RULE_FORMS = """\
usd below AMOUNT     the USD balance under AMOUNT (`usd below 25`)
diem used PERCENT    today's DIEM allocation used reaches PERCENT (`diem used 80%`)
runway below DAYS    the USD runway under DAYS (`runway below 7d`)
spend above AMOUNT   today's spend, USD and DIEM together, passes AMOUNT (`spend above 50`)
spike                a day's spend more than twice the 7-day median (`spike`)
key-cap PERCENT      any API key reaches PERCENT of its own limit (`key-cap 90%`)
funds-out            Venice says the account cannot consume (`funds-out`)"""


@dataclass(frozen=True, slots=True)
class RuleForm:
    """How one kind is typed: its words, the middle word and its synonyms, its threshold."""

    words: str  # the canonical leading words: `usd below`, `spike`
    unit: Unit | None  # None: the rule takes no threshold
    synonyms: frozenset[str] = frozenset()  # middle words accepted for the canonical one
    example: str = ""

    @property
    def head(self) -> str:
        return self.words.split()[0]

    @property
    def middle(self) -> str | None:
        parts = self.words.split()
        return parts[1] if len(parts) > 1 else None


FORMS: dict[RuleKind, RuleForm] = {
    "usd_below": RuleForm("usd below", "amount", frozenset({"under", "<"}), "usd below 25"),
    "diem_used": RuleForm(
        "diem used", "percent", frozenset({"use", "usage", "at", "reaches", ">="}), "diem used 80%"
    ),
    "runway_below": RuleForm("runway below", "days", frozenset({"under", "<"}), "runway below 7d"),
    "spend_above": RuleForm("spend above", "amount", frozenset({"over", ">"}), "spend above 50"),
    "spike": RuleForm("spike", None, example="spike"),
    "key_cap": RuleForm("key-cap", "percent", frozenset({"at", "reaches"}), "key-cap 90%"),
    "funds_out": RuleForm("funds-out", None, example="funds-out"),
}
# Leading words as people type them, to the kind (two-word spellings are joined first).
_HEADS: dict[str, RuleKind] = {
    **{form.head: kind for kind, form in FORMS.items()},
    "keycap": "key_cap",
    "key_cap": "key_cap",
    "funds_out": "funds_out",
    "fundsout": "funds_out",
    "spend": "spend_above",
    "spending": "spend_above",
}
_JOINED = {("key", "cap"): "key-cap", ("funds", "out"): "funds-out"}
_SPLIT = {
    f"{form.head}{joint}{form.middle}": [form.head, form.middle]
    for form in FORMS.values()
    if form.middle is not None
    for joint in ("-", "_", "")
}
_UNIT_WORDS: dict[Unit, frozenset[str]] = {
    "amount": frozenset({"$", "usd", "dollars"}),
    "percent": frozenset({"%", "percent", "pct"}),
    "days": frozenset({"d", "day", "days"}),
}
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_STRIP = {
    "amount": re.compile(r"^\$?(.*?)(?:\$|usd)?$"),
    "percent": re.compile(r"^(.*?)(?:%|percent|pct)?$"),
    "days": re.compile(r"^(.*?)(?:days|day|d)?$"),
}
_EXAMPLE = "alert on usd below 25"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """One alert rule: its KIND and its threshold (None for `spike` and `funds-out`): an amount
    in USD, a percentage (80 for 80%), or whole days."""

    kind: RuleKind
    threshold: Decimal | None = None

    @property
    def text(self) -> str:
        """The canonical form, as a person types it: `usd below 25`, `diem used 80%`."""
        form = FORMS[self.kind]
        if form.unit is None or self.threshold is None:
            return form.words
        return f"{form.words} {format_threshold(form.unit, self.threshold)}"

    def describe(self) -> str:
        """What the rule watches, in words: `the USD balance below $25.00`."""
        t = self.threshold if self.threshold is not None else Decimal(0)
        match self.kind:
            case "usd_below":
                return f"the USD balance below {format_usd(t)}"
            case "diem_used":
                return f"{format_threshold('percent', t)} of today's DIEM allocation used"
            case "runway_below":
                days = int(t)
                return f"the USD runway under {days} day{'' if days == 1 else 's'}"
            case "spend_above":
                return f"today's spend above {_plain(t)} (USD and DIEM together, 1 DIEM as $1)"
            case "spike":
                return "a day's spend more than twice the median of the 7 days before"
            case "key_cap":
                return f"an API key at {format_threshold('percent', t)} of its own limit"
            case "funds_out":
                return "Venice saying the account cannot consume (out of funds)"


def format_threshold(unit: Unit, value: Decimal) -> str:
    """A threshold as typed back: `25`, `25.50`, `80%`, `82.5%`, `7d`."""
    if unit == "percent":
        return f"{_plain(value)}%"
    if unit == "days":
        return f"{int(value)}d"
    return _plain(value)


def _plain(value: Decimal) -> str:
    """`25` for a whole number, else its digits as given (`25.50`, `82.5`)."""
    if value == value.to_integral_value():
        return f"{value.to_integral_value():f}"
    return f"{value:f}"


def parse_rule(words: tuple[str, ...]) -> AlertRule:
    """The words after `alert on` as a rule; CommandTextError says what is wrong."""
    lowered = [word.lower() for word in words if word.strip()]
    if not lowered:
        raise CommandTextError(
            "Say which alert to set: `usd below 25`, `diem used 80%`, `runway below 7d`, "
            "`spend above 50`, `spike`, `key-cap 90%` or `funds-out`.",
            example=_EXAMPLE,
        )
    if tuple(lowered[:2]) in _JOINED:
        lowered = [_JOINED[(lowered[0], lowered[1])], *lowered[2:]]
    elif lowered[0] in _SPLIT:  # `usd-below 25`, `runway_below 7d`
        lowered = [*_SPLIT[lowered[0]], *lowered[1:]]
    kind = _HEADS.get(lowered[0])
    if kind is None:
        raise _unknown(lowered[0])
    form = FORMS[kind]
    rest = lowered[1:]
    if form.unit is None:
        if rest:
            raise _trailing(rest[0], form.words, form)
        return AlertRule(kind)
    if rest and rest[0] in (form.middle, *form.synonyms):
        rest = rest[1:]
    elif rest and rest[0][:1].isalpha() and rest[0] not in _UNIT_WORDS[form.unit]:
        raise CommandTextError(
            f"`{form.head}` alerts are written `{form.words} ...`, not `{clip(rest[0])}`.",
            example=f"alert on {form.example}",
        )
    threshold, left = _threshold(form, form.unit, rest)
    rule = AlertRule(kind, threshold)
    if left:
        raise _trailing(left[0], rule.text, form)
    return rule


def _threshold(form: RuleForm, unit: Unit, words: list[str]) -> tuple[Decimal, list[str]]:
    """FORM's threshold (in UNIT) from the front of WORDS (a unit word may stand alone on
    either side), and the words left after it."""
    units = _UNIT_WORDS[unit]
    if words and words[0] in units:  # `$ 25`
        words = words[1:]
    if not words:
        raise CommandTextError(
            f"`{form.words}` needs {_WHAT[unit]}.", example=f"alert on {form.example}"
        )
    stripped = _STRIP[unit].match(words[0])
    number = stripped.group(1) if stripped else words[0]
    left = words[1:]
    if left and left[0] in units:  # `80 %`, `7 days`, `25 usd`
        left = left[1:]
    if not _NUMBER.fullmatch(number):
        raise CommandTextError(
            f"`{form.words}` needs {_WHAT[unit]}, not `{clip(words[0])}`.",
            example=f"alert on {form.example}",
        )
    return _checked(form, unit, Decimal(number.replace(",", ""))), left


_WHAT: dict[Unit, str] = {
    "amount": "an amount in USD (`25` or `25.50`)",
    "percent": "a percentage from 1% to 100% (`80%`)",
    "days": "a number of days from 1 to 90 (`7d`)",
}


def _checked(form: RuleForm, unit: Unit, value: Decimal) -> Decimal:
    """VALUE if it is a sensible threshold in UNIT, in its canonical precision."""
    example = f"alert on {form.example}"
    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if unit == "amount":
        if value <= 0:
            raise CommandTextError("The amount must be more than $0.", example=example)
        if value > MAX_AMOUNT:
            raise CommandTextError("The amount can be at most $1,000,000.", example=example)
        if decimals > 2 and value != value.quantize(Decimal("0.01")):
            raise CommandTextError(
                "Give the amount to the cent at most (`25.50`).", example=example
            )
        whole = value == value.to_integral_value()
        return value.to_integral_value() if whole else value.quantize(Decimal("0.01"))
    if unit == "percent":
        if not MIN_PERCENT <= value <= MAX_PERCENT:
            raise CommandTextError("The percentage must be from 1% to 100%.", example=example)
        if decimals > 1 and value != value.quantize(Decimal("0.1")):
            raise CommandTextError(
                "Give the percentage with one decimal at most (`82.5%`).", example=example
            )
        whole = value == value.to_integral_value()
        return value.to_integral_value() if whole else value.quantize(Decimal("0.1"))
    if value != value.to_integral_value() or not MIN_DAYS <= value <= MAX_DAYS:
        raise CommandTextError("The runway is whole days, from 1 to 90 (`7d`).", example=example)
    return value.to_integral_value()


def _unknown(word: str) -> CommandTextError:
    names = {form.head: form for form in FORMS.values()}
    names.update({"-".join(form.words.split()): form for form in FORMS.values()})
    close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.6)
    if close:
        form = names[close[0]]
        return CommandTextError(
            f"There is no alert `{clip(word)}`. Did you mean `{form.example}`?",
            example=f"alert on {form.example}",
        )
    return CommandTextError(
        f"There is no alert `{clip(word)}`. Alerts: `usd below 25`, `diem used 80%`, "
        "`runway below 7d`, `spend above 50`, `spike`, `key-cap 90%`, `funds-out`.",
        example=_EXAMPLE,
    )


def _trailing(word: str, said: str, form: RuleForm) -> CommandTextError:
    return CommandTextError(
        f"`{clip(word)}` after `{said}` is not part of the rule: one rule per `alert on`.",
        example=f"alert on {form.example}",
    )


def parse_rule_id(word: str) -> int:
    """A rule's id as `alert list` shows it (`3`, or `#3`); CommandTextError otherwise."""
    digits = word.strip().removeprefix("#")
    if digits.isascii() and digits.isdigit() and len(digits) <= 6 and int(digits) >= 1:
        return int(digits)
    raise CommandTextError(
        f"`{clip(word)}` is not an alert id: give the number `alert list` shows.",
        example="alert off 3",
    )


_SNOOZE = re.compile(r"(\d{1,3})\s*(h|hours?|d|days?|w|weeks?)")
_SNOOZE_UNIT = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def parse_snooze(word: str) -> timedelta:
    """`1h`, `1d`, `1w` (any count: `12h`, `3d`) up to 4 weeks; CommandTextError otherwise."""
    found = _SNOOZE.fullmatch(word.strip().lower())
    if found is not None:
        length = int(found.group(1)) * _SNOOZE_UNIT[found.group(2)[0]]
        if timedelta(0) < length <= MAX_SNOOZE:
            return length
    raise CommandTextError(
        f"Snooze for `1h`, `1d` or `1w` (at most 4 weeks), not `{clip(word)}`.",
        example="alert snooze 3 1d",
    )


def clip(word: str) -> str:
    """A word safe to quote back (secrets masked, one line, short)."""
    return clip_echo(word)
