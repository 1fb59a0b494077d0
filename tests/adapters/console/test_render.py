"""The terminal renderer on hand-built cards: every element, long and wide data, hostile text."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from adapters.console.render import render_json, render_text
from bot.cards import (
    Action,
    Card,
    Column,
    Field,
    Footer,
    Meter,
    Row,
    Series,
    Stale,
    Table,
    Tone,
    Trend,
)
from bot.layout.text import display_width

D = Decimal
AS_OF = datetime(2026, 11, 22, 14, 3, tzinfo=UTC)
HOSTILE = (
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x9b31m",
    "\x1bc",
    "evil\u202eexe",
    "line\nbreak",
    "nul\x00x",
    "back\rspace\b",
)


def week(values: list[str], end: date = date(2026, 11, 22)) -> tuple[date, ...]:
    return tuple(end - timedelta(days=len(values) - 1 - i) for i in range(len(values)))


def models_table(rows: int, omitted: int = 0, name: str = "model") -> Table:
    body = []
    for i in range(rows):
        body.append(Row((str(i + 1), f"{name}-{i}", f"${i},000.00", f"{i}.00 DIEM", "1.0%")))
        body.append(Row(("", "Input", f"${i}.50", "0.00 DIEM", "0.5%"), level=1))
    return Table(
        title="Top models",
        columns=(
            Column("#", "right"),
            Column("Model"),
            Column("USD", "right"),
            Column("DIEM", "right"),
            Column("Share", "right"),
        ),
        rows=tuple(body),
        omitted=omitted,
        omitted_note="together $3.21" if omitted else None,
    )


FULL = Card(
    title="Usage, last 7 days",
    tone=Tone.WARNING,
    summary="You spent $1,234.56 and 12.00 DIEM over the last 7 days, up 12.5% on the week before.",
    fields=(Field("Total USD", "$1,234.56"), Field("Total DIEM", "12.00 DIEM")),
    meter=Meter("DIEM used today", D("0.62"), "3.80 DIEM left of 10.00 DIEM"),
    trend=Trend(
        "Daily spend",
        week(["0"] * 7),
        (
            Series("USD", tuple(D(v) for v in ("0", "1", "2", "3", "4", "5", "7")), "$22.00"),
            Series("DIEM", (D(0), D(0), D(1)), "1.00 DIEM"),
        ),
    ),
    tables=(models_table(2, omitted=12),),
    notes=("Shares count 1 DIEM as $1 of credit.",),
    footer=Footer(as_of=AS_OF, note="last 7 days"),
)


def lines_of(text: str) -> list[str]:
    return text.split("\n")


def test_full_card_renders_every_element():
    text = render_text(FULL)
    assert text.startswith("! Usage, last 7 days\n")
    assert "You spent $1,234.56 and 12.00 DIEM" in text
    assert "Total USD   $1,234.56" in text
    assert "Total DIEM  12.00 DIEM" in text
    assert "[████████████░░░░░░░░] 62.0% used" in text
    assert "3.80 DIEM left of 10.00 DIEM" in text
    assert "USD   ▁▃▄▅▆▇█  $22.00" in text
    assert "• Shares count 1 DIEM as $1 of credit." in text
    assert "… and 12 more (together $3.21)" in text
    assert text.endswith("As of 2026-11-22 14:03 UTC · last 7 days")
    assert "\x1b" not in text


def test_zero_days_and_missing_days_look_different():
    text = render_text(FULL)
    # Two zero days, one day of spend, then four days without any figure.
    assert "DIEM  ▁▁█····  1.00 DIEM" in text


def test_trend_shows_first_and_last_dates():
    text = render_text(FULL, width=80)
    assert "2026-11-16 to 2026-11-22" in text


@pytest.mark.parametrize(
    ("tone", "prefix"),
    [
        (Tone.INFO, "Hello"),
        (Tone.GOOD, "✔ Hello"),
        (Tone.WARNING, "! Hello"),
        (Tone.DANGER, "✖ Hello"),
    ],
)
def test_tone_is_a_marker_not_a_colour(tone, prefix):
    text = render_text(Card(title="Hello", tone=tone))
    assert text == prefix
    assert "\x1b" not in text


@pytest.mark.parametrize(
    ("fraction", "bar"),
    [
        ("0", "[░░░░░░░░░░░░░░░░░░░░] 0.0% used"),
        ("0.001", "[█░░░░░░░░░░░░░░░░░░░] 0.1% used"),
        ("0.5", "[██████████░░░░░░░░░░] 50.0% used"),
        ("1", "[████████████████████] 100.0% used"),
        ("1.25", "[████████████████████] 125.0% used"),
    ],
)
def test_meter_bar(fraction, bar):
    card = Card(title="Balance", meter=Meter("DIEM used today", D(fraction), "resets at 00:00 UTC"))
    assert render_text(card).split("\n")[2:5] == ["DIEM used today", bar, "resets at 00:00 UTC"]


def test_fields_are_aligned_and_long_values_wrap_under_themselves():
    card = Card(
        title="Balance",
        fields=(Field("DIEM", "37.50 DIEM"), Field("Charged next", "word " * 30)),
    )
    lines = lines_of(render_text(card, width=50))
    assert lines[2] == "DIEM          37.50 DIEM"
    assert lines[3].startswith("Charged next  word")
    assert all(line.startswith(" " * 14 + "word") for line in lines[4:])
    assert all(len(line) <= 50 for line in lines)


def test_a_command_in_backticks_is_never_split_across_lines():
    summary = "That period took Venice too long to add up. Try a shorter period, e.g. `usage 15d`."
    for width in range(30, 90):
        text = render_text(Card(title="t", summary=summary), width=width)
        assert "`usage 15d`" in text


def test_table_numbers_are_right_aligned_and_details_indented():
    lines = lines_of(render_text(Card(title="t", tables=(models_table(3),))))
    rows = [line for line in lines if "DIEM" in line and "$" in line]
    assert len(rows) == 6
    # Every USD and DIEM cell ends in the same column, whatever its length ($0.50 / $2,000.00).
    usd = [next(word for word in row.split() if word.startswith("$")) for row in rows]
    assert {"$0.50", "$2,000.00"} <= set(usd)
    assert len({row.index(word) + len(word) for row, word in zip(rows, usd, strict=True)}) == 1
    assert len({row.index(" DIEM") for row in rows}) == 1
    parent, detail = rows[0], rows[1]
    assert detail.index("Input") == parent.index("model-0") + 2


def test_the_header_sits_over_its_column():
    lines = lines_of(render_text(Card(title="t", tables=(models_table(2),))))
    header = next(line for line in lines if "Model" in line)
    first = next(line for line in lines if "model-0" in line)
    assert header.index("Model") == first.index("model-0")
    assert header.index("Share") + len("Share") == first.index("1.0%") + len("1.0%")


@pytest.mark.parametrize("width", [40, 60, 80, 120])
def test_long_names_are_cut_so_the_table_fits(width):
    card = Card(title="t", tables=(models_table(3, name="x" * 200),))
    lines = lines_of(render_text(card, width=width))
    assert all(display_width(line) <= width for line in lines)
    assert sum("…" in line for line in lines) == 3
    assert "$2,000.00" in "\n".join(lines), "figures are never cut while text can give way"


def test_wide_table_with_many_columns_fits_the_width():
    columns = (Column("Key"), *(Column(f"Day {i}", "right") for i in range(12)))
    rows = tuple(Row((f"key-{r}", *(f"${r}.{i:02d}" for i in range(12)))) for r in range(5))
    text = render_text(Card(title="t", tables=(Table("Keys", columns, rows),)), width=80)
    assert all(display_width(line) <= 80 for line in lines_of(text))


def test_long_table_keeps_every_row():
    text = render_text(Card(title="t", tables=(models_table(200, omitted=5),)))
    assert "model-199" in text
    assert text.count("Input") == 200
    assert "… and 5 more (together $3.21)" in text


def test_wide_characters_are_measured_in_terminal_cells():
    table = Table(
        "Keys",
        (Column("Key"), Column("USD", "right")),
        (Row(("中文名称的密钥", "$1.00")), Row(("plain", "$10.00"))),
    )
    rows = [line for line in lines_of(render_text(Card(title="t", tables=(table,)))) if "$" in line]
    assert {display_width(row) for row in rows} == {display_width(rows[1])}


def test_ninety_day_trend_is_bucketed_to_fit():
    days = tuple(date(2026, 8, 25) + timedelta(days=i) for i in range(90))
    series = Series("USD", tuple(D(i % 10) for i in range(90)), "$405.00")
    card = Card(title="t", trend=Trend("Daily spend", days, (series,)))
    narrow = lines_of(render_text(card, width=80))
    spark = next(line for line in narrow if line.startswith("USD"))
    assert display_width(spark) <= 80
    assert len(spark.split()[1]) == 45
    assert "each mark is 2 days" in "\n".join(narrow)
    assert "2026-08-25" in "\n".join(narrow)
    assert "2026-11-22" in "\n".join(narrow)
    wide = render_text(card, width=120)
    assert len(next(line for line in lines_of(wide) if line.startswith("USD")).split()[1]) == 90
    assert "each mark" not in wide


def test_stale_data_is_said_right_under_the_title():
    stale = Stale(datetime(2026, 11, 22, 13, 40, tzinfo=UTC), "Venice is failing (HTTP 503)")
    card = Card(title="Balance", summary="Hi", footer=Footer(as_of=AS_OF, stale=stale))
    blocks = render_text(card).split("\n\n")
    assert blocks[1] == "! Stale: data from 13:40 UTC — Venice is failing (HTTP 503)"


def test_stale_from_an_earlier_day_shows_the_date():
    stale = Stale(datetime(2026, 11, 21, 23, 50, tzinfo=UTC), "Venice timed out")
    text = render_text(Card(title="B", footer=Footer(as_of=AS_OF, stale=stale)))
    assert "Stale: data from 2026-11-21 23:50 UTC — Venice timed out" in text


def test_footer_time_is_shown_in_utc():
    local = datetime(2026, 11, 22, 16, 3, tzinfo=timezone(timedelta(hours=2)))
    assert render_text(Card(title="B", footer=Footer(as_of=local))).endswith(
        "As of 2026-11-22 14:03 UTC"
    )


def hostile_card(name: str) -> Card:
    return Card(
        title=f"Key {name}",
        summary=f"Spend by {name}",
        fields=(Field(name, name),),
        meter=Meter(name, D("0.5"), name),
        trend=Trend(name, week(["1"]), (Series(name, (D(1),), name),)),
        tables=(Table(name, (Column(name), Column(name, "right")), (Row((name, name)),), 2, name),),
        notes=(name,),
        footer=Footer(as_of=AS_OF, note=name, stale=Stale(AS_OF, name)),
    )


@pytest.mark.parametrize("name", HOSTILE)
def test_venice_text_cannot_control_the_terminal(name):
    text = render_text(hostile_card(name))
    for ch in text:
        if ch != "\n":
            assert unicodedata.category(ch) not in ("Cc", "Cf"), repr(ch)
    assert "pwned" not in text or "\x07" not in text


def test_an_escape_sequence_in_a_name_does_not_break_the_table():
    table = Table(
        "Keys",
        (Column("Key"), Column("USD", "right")),
        (Row(("\x1b[2Jprod", "$1.00")), Row(("dev", "$10.00"))),
    )
    rows = [line for line in lines_of(render_text(Card(title="t", tables=(table,)))) if "$" in line]
    assert rows == ["prod   $1.00", "dev   $10.00"]


def test_empty_card():
    assert render_text(Card(title="Nothing yet")) == "Nothing yet"
    assert render_text(Card(title="")) == "(untitled)"


def test_empty_table_and_trend_say_so():
    card = Card(
        title="t",
        trend=Trend("Daily spend", (), ()),
        tables=(Table("Top keys", (Column("Key"), Column("USD", "right")), ()),),
    )
    text = render_text(card)
    assert "No daily figures for this period." in text
    assert "(nothing to show)" in text


@pytest.mark.parametrize("width", [1, 30, 45, 80, 200])
def test_every_line_fits_the_width(width):
    text = render_text(FULL, width=width)
    assert all(display_width(line) <= max(width, 30) for line in lines_of(text))


def test_json_is_the_card_document():
    text = render_json(FULL)
    assert json.loads(text) == FULL.to_dict()
    assert "\n  " in text, "indented"
    assert "\\u2026" not in render_json(Card(title="…")), "non-ASCII stays readable"
    assert json.loads(render_json(Card(title="Über — 中文")))["title"] == "Über — 中文"
    assert "Über — 中文" in render_json(Card(title="Über — 中文"))


@pytest.mark.parametrize("name", HOSTILE)
def test_json_keeps_hostile_text_escaped(name):
    text = render_json(hostile_card(name))
    for ch in text:
        if ch != "\n":
            assert unicodedata.category(ch) not in ("Cc", "Cf"), repr(ch)
    assert json.loads(text)["fields"][0]["label"] == name


def test_a_long_label_is_never_cut_its_value_follows_under_it():
    from bot.commands.help import overview_card
    from bot.registry import COMMANDS

    text = render_text(overview_card(COMMANDS), width=80)
    # The digest's whole syntax, as help gives it, with nothing cut off.
    usage = COMMANDS["digest"].usage
    joined = " ".join(text.split())
    assert usage in joined
    assert "…" not in text.split("digest [on")[1].split("\n")[0]


def test_a_cards_actions_end_it_with_what_to_type_instead():
    actions = (
        Action("Snooze 1h", "alert snooze 3 1h"),
        Action("Ack", "alert ack 3"),
        Action("Again", "alert ack 3"),
        Action("Balance", "balance"),
        Action("Hostile", "\x1b[2Jbalance\n7d"),
    )
    card = Card(title="USD balance below $25.00", summary="Top up.", actions=actions)
    text = render_text(card, width=40)
    lines = text.splitlines()
    assert lines[-2:] == ["Next: alert snooze 3 1h · alert ack 3 ·", "      balance · balance 7d"]
    assert "\x1b" not in text
    wide = render_text(card, width=120)
    assert wide.splitlines()[-1] == ("Next: alert snooze 3 1h · alert ack 3 · balance · balance 7d")
    assert render_text(Card(title="t", summary="s")).splitlines()[-1] == "s"  # no actions: no line
