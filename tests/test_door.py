"""Parse once, at the door: each adapter parses a command's text exactly once and hands the core
an Invocation; the runtime never parses. And a card's request (a Confirm, a SecretPrompt) is
drawn by each adapter the same way whatever the command: these tests use commands that never
ask anything, so no adapter can be reaching them by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

import bot.command_text
from adapters.cli import main as cli
from adapters.discord.commands import ask_and_reply
from adapters.discord.confirm import ConfirmView
from adapters.discord.connect_modal import ConnectModal
from adapters.slack import commands as slack_commands
from adapters.slack.deps import SlackDeps
from adapters.slack.messages import ACTION_CANCEL, ACTION_CONFIRM, cancelled_card
from bot.cards import Card, Confirm, SecretPrompt
from bot.command_spec import Caller
from bot.commands.connect import key_prompt
from bot.core import Answer, refused
from bot.errors import CommandTextError
from bot.invocation import Invocation
from bot.runtime import Runtime
from bot.settings import Settings
from tests.adapters.discord.standin import manager
from tests.adapters.slack.test_render_limits import assert_within_limits


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every text bot.command_text.parse is called with, in order."""
    texts: list[str] = []
    real = bot.command_text.parse

    def counting(text: str, today: Any) -> Invocation:
        texts.append(text)
        return real(text, today)

    monkeypatch.setattr(bot.command_text, "parse", counting)
    return texts


QUESTION = Card(
    title="Really?",
    kind="help",
    summary="A question any command could ask.",
    ask=Confirm(
        run=Invocation("usage", confirmed=True),
        confirm_label="Yes, do it",
        cancelled=Card(title="Left alone", kind="help", summary="Nothing happened."),
        cancel_label="No",
    ),
)
PROMPT = Card(title="A secret, please", kind="connect", ask=key_prompt("slack:T1"))


@dataclass
class StubRuntime:
    """Records what the adapters hand Runtime.ask; answers with CARD (or the echo of the name)."""

    card: Card | None = None
    asked: list[Invocation | CommandTextError] = field(default_factory=list)

    async def ask(self, request: Invocation | CommandTextError, *args: Any, **kw: Any) -> Answer:
        self.asked.append(request)
        if isinstance(request, CommandTextError):
            return refused(request)
        card = self.card or Card(title=request.command, kind="help")
        return Answer(card, "answered", request.command, request)

    async def aclose(self) -> None:
        pass


class StubDeps(SlackDeps):
    async def caller(self, client: Any, team_id: str, user_id: str, name: str = "") -> Caller:
        return Caller(user_id, name, is_admin=True)


class FakeSlackApp:
    def __init__(self) -> None:
        self.listeners: dict[str, Any] = {}

    def command(self, name: str) -> Any:
        def register(listener: Any) -> Any:
            self.listeners[name] = listener
            return listener

        return register


class FakeWebClient:
    def __init__(self) -> None:
        self.views: list[dict[str, Any]] = []

    async def views_open(self, *, trigger_id: str, view: dict[str, Any]) -> None:
        self.views.append(view)


async def slash(runtime: StubRuntime, text: str) -> tuple[dict[str, Any], FakeWebClient]:
    """`/venice TEXT` through Slack's listener; the ack's keyword arguments and the client."""
    app = FakeSlackApp()
    deps = StubDeps(runtime=runtime)  # type: ignore[arg-type]
    slack_commands.register(app, deps)  # type: ignore[arg-type]
    acked: list[dict[str, Any]] = []

    async def ack(**kwargs: Any) -> None:
        acked.append(kwargs)

    async def respond(**kwargs: Any) -> None:
        acked.append(kwargs)

    client = FakeWebClient()
    command = {"text": text, "user_id": "U1", "team_id": "T1", "channel_id": "C1",
               "trigger_id": "trigger.1"}  # fmt: skip
    await app.listeners["/venice"](ack, respond, command, client, {"team_id": "T1"})
    await deps.drain(5)
    return acked[-1], client


# -- parse once ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["usage 30d", "top-keys 7d 3", "frobnicate", "usage 999d"])
async def test_slack_parses_a_slash_command_once(parses: list[str], text: str):
    runtime = StubRuntime()
    await slash(runtime, text)
    assert parses == [text]
    [asked] = runtime.asked
    assert isinstance(asked, Invocation | CommandTextError)


@pytest.mark.parametrize("text", ["usage 30d", "help usage", "frobnicate"])
async def test_discord_parses_a_subcommand_once(parses: list[str], text: str):
    runtime = StubRuntime()
    await ask_and_reply(manager(), runtime, text)  # type: ignore[arg-type]
    assert parses == [text]
    assert len(runtime.asked) == 1


async def test_the_cli_parses_once_and_confirms_what_was_typed(
    parses: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    runtime = StubRuntime()
    monkeypatch.setattr(Runtime, "build", classmethod(lambda cls, settings: runtime))
    code = await cli._ask("disconnect", "text", None, Settings())
    assert code == 0
    assert parses == ["disconnect"]
    assert runtime.asked == [Invocation("disconnect", confirmed=True)]


async def test_the_runtime_never_parses(monkeypatch: pytest.MonkeyPatch):
    def refuse(text: str, today: Any) -> Invocation:
        raise AssertionError("the runtime parsed command text")

    monkeypatch.setattr(bot.command_text, "parse", refuse)
    runtime = Runtime.build(Settings())
    try:
        reply = await runtime.ask(Invocation("help"))
        invalid = await runtime.ask(CommandTextError("No.", example="help"))
    finally:
        await runtime.aclose()
    assert (reply.outcome, reply.command) == ("answered", "help")
    assert (invalid.outcome, invalid.command) == ("invalid", None)


def test_text_of_parses_back_to_the_invocation():
    today = bot.command_text.date(2026, 11, 30)
    for text in ("top-keys 30d 5", "usage 2026-10-01..2026-10-31", "help usage", "digest on 09:00"):
        invocation = bot.command_text.parse(text, today)
        assert bot.command_text.parse(bot.command_text.text_of(invocation), today) == invocation


# -- a card's request, drawn generically -------------------------------------------------------


async def test_slack_draws_any_commands_question_with_its_own_words():
    ack, _ = await slash(StubRuntime(card=QUESTION), "balance")
    assert_within_limits(ack)
    [buttons] = [block for block in ack["blocks"] if block["type"] == "actions"]
    yes, no = buttons["elements"]
    assert (yes["action_id"], yes["text"]["text"], yes["value"]) == (
        ACTION_CONFIRM,
        "Yes, do it",
        "usage",
    )
    assert (no["action_id"], no["text"]["text"]) == (ACTION_CANCEL, "No")
    assert cancelled_card(no["value"]).title == "Left alone"


async def test_slack_opens_the_modal_any_command_asks_for():
    ack, client = await slash(StubRuntime(card=PROMPT), "status")
    [view] = client.views
    assert view["title"]["text"] == "Connect a Venice key"
    assert "private window" in ack["text"]


async def test_discord_draws_any_commands_question_with_its_own_words():
    interaction = manager()
    await ask_and_reply(interaction, StubRuntime(card=QUESTION), "balance")  # type: ignore[arg-type]
    assert interaction.methods() == ["defer", "followup.send"]
    view = interaction.last().kwargs["view"]
    assert isinstance(view, ConfirmView)
    assert [button.label for button in view.children] == ["Yes, do it", "No"]  # type: ignore[attr-defined]
    assert view.confirm.run == Invocation("usage", confirmed=True)


async def test_discord_opens_the_modal_any_command_asks_for():
    interaction = manager()
    await ask_and_reply(interaction, StubRuntime(card=PROMPT), "status")  # type: ignore[arg-type]
    assert interaction.methods() == ["send_modal"]
    modal = interaction.last().kwargs["modal"]
    assert isinstance(modal, ConnectModal)
    assert modal.title == "Connect a Venice key"


def test_prompts_and_questions_stay_out_of_the_json_document():
    assert "ask" not in QUESTION.to_dict()
    assert isinstance(PROMPT.ask, SecretPrompt)
    assert "ask" not in PROMPT.to_dict()
