"""AlertController: what the `alert` chat command may do (AlertControl, bot/command_spec.py):
add, remove, list, snooze and ack rules in the store, and show what a rule would post now with
the live figures (through the same readings a sweep takes)."""

from __future__ import annotations

from datetime import datetime

from bot.alerts.messages import alert_card
from bot.alerts.stored import rule_of
from bot.alerts.sweep import AlertSweeper
from bot.cards import Card
from bot.command_spec import Caller
from bot.errors import NoVeniceKey, VeniceError
from bot.store.alerts import AlertRuleRecord, AlertStore, StoredRule


class AlertController:
    """The `alert` command's side of the alerts, over the sweeper's store and Venice access."""

    def __init__(self, sweeper: AlertSweeper) -> None:
        self.sweeper = sweeper
        self.store: AlertStore = sweeper.alerts

    async def add(
        self,
        workspace_id: str,
        channel_id: str,
        rule: StoredRule,
        *,
        by: Caller | None,
        now: datetime,
    ) -> AlertRuleRecord:
        return await self.store.add(
            workspace_id,
            channel_id,
            rule,
            by=by.display if by is not None else "unknown",
            by_id=by.user_id if by is not None else None,
            now=now,
        )

    async def remove(self, workspace_id: str, rule_id: int) -> bool:
        return await self.store.remove(workspace_id, rule_id)

    async def remove_all(self, workspace_id: str, channel_id: str | None) -> int:
        return await self.store.remove_all(workspace_id, channel_id)

    async def rules(self, workspace_id: str) -> list[AlertRuleRecord]:
        return await self.store.list_rules(workspace_id)

    async def snooze(
        self, workspace_id: str, rule_id: int, until: datetime | None, *, now: datetime
    ) -> AlertRuleRecord | None:
        return await self.store.snooze(workspace_id, rule_id, until, now=now)

    async def ack(
        self, workspace_id: str, rule_id: int, *, by: Caller | None, now: datetime
    ) -> AlertRuleRecord | None:
        who = by.display if by is not None else "unknown"
        return await self.store.ack(workspace_id, rule_id, by=who, now=now)

    async def preview(self, record: AlertRuleRecord, now: datetime) -> Card:
        """What RECORD's rule would post now, with the live figures (VeniceError when Venice
        does not give them; NoVeniceKey without a key)."""
        readings = await self.sweeper.readings_of(record.workspace_id, [record], now)
        if readings is None:
            raise NoVeniceKey("No Venice key is configured.")
        if readings.failures:
            reason = "; ".join(readings.failures.values())
            raise VeniceError(f"Venice did not give the figures: {reason}.")
        return alert_card(record.id, rule_of(record), readings)
