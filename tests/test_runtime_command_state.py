"""`Runtime.ask` keeps a workspace's key and read policy a few seconds, yet `access`,
`disconnect` and a new key in this process take effect on the very next command."""

from __future__ import annotations

from bot.command_spec import Caller
from bot.runtime import Runtime
from tests.asking import parsed
from tests.test_runtime_workspaces import ADMIN, runtime, simulator, store_key

__all__ = ["runtime", "simulator"]  # the fixtures this module uses
MEMBER = Caller("console:bob", "bob", is_admin=False)


async def test_access_disconnect_and_connect_apply_to_the_next_command(runtime: Runtime):
    await store_key(runtime, "slack:TKEEP", "sim-admin-team-keep")
    reply = await runtime.ask(parsed("balance"), workspace_id="slack:TKEEP", caller=MEMBER)
    assert reply.outcome == "answered"
    await runtime.ask(parsed("access admins"), workspace_id="slack:TKEEP", caller=ADMIN)
    refused = await runtime.ask(parsed("balance"), workspace_id="slack:TKEEP", caller=MEMBER)
    assert refused.outcome == "forbidden"
    await runtime.ask(parsed("access everyone"), workspace_id="slack:TKEEP", caller=ADMIN)
    reply = await runtime.ask(parsed("balance"), workspace_id="slack:TKEEP", caller=MEMBER)
    assert reply.outcome == "answered"
    await runtime.ask(
        parsed("disconnect", confirmed=True), workspace_id="slack:TKEEP", caller=ADMIN
    )
    gone = await runtime.ask(parsed("status"), workspace_id="slack:TKEEP", caller=ADMIN)
    assert gone.card.data["connected"] is False
    before = await runtime.ask(parsed("balance"), workspace_id="slack:TKEEP", caller=ADMIN)
    assert before.outcome == "failed"
    await store_key(runtime, "slack:TKEEP", "sim-admin-usd-keep")
    after = await runtime.ask(parsed("balance"), workspace_id="slack:TKEEP", caller=ADMIN)
    assert after.outcome == "answered"
