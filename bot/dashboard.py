"""A workspace's dashboard (Slack's App Home): the reports it shows (the alerts last), and the key
action it offers admins, as command text the door parses like any typed command. Asked like a
command, the removal's question is the command's own (its Confirm), written once."""

from __future__ import annotations

REPORTS = ("balance", "usage 7d", "top-models 7d 5", "top-keys 7d 5", "alert list")
REMOVE_KEY = "disconnect"
