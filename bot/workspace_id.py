"""Workspace ids: one tenant written `PLATFORM:ID` (`slack:T0123ABCD`, `console:local`)."""

from __future__ import annotations

import re

from bot.errors import CommandTextError

PLATFORMS = ("slack", "discord", "console")
CONSOLE_WORKSPACE = "console:local"

_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_PLATFORM_WORD = re.compile(r"[A-Za-z]{1,16}")
_EXAMPLES = "slack:T0123ABCD, discord:112233445566778899 or console:local"


class InvalidWorkspaceId(CommandTextError):
    """The text is not a `PLATFORM:ID` workspace id."""

    def __init__(self, problem: str = "") -> None:
        lead = f"{problem} " if problem else ""
        super().__init__(f"{lead}Workspace ids look like {_EXAMPLES}.", example=CONSOLE_WORKSPACE)


def parse_workspace_id(text: str) -> str:
    """TEXT as a normalised workspace id (platform lower-cased), or InvalidWorkspaceId."""
    # The input is never quoted back whole: a key pasted into the wrong argument must not be
    # echoed. Only a short alphabetic platform word is safe to name.
    platform, sep, external = text.strip().partition(":")
    platform = platform.strip().lower()
    external = external.strip()
    if not sep or not platform:
        raise InvalidWorkspaceId("A workspace id needs a platform and an id separated by `:`.")
    if platform not in PLATFORMS:
        if _PLATFORM_WORD.fullmatch(platform):
            raise InvalidWorkspaceId(f"Unknown platform '{platform}'.")
        raise InvalidWorkspaceId("Unknown platform.")
    if not _ID.fullmatch(external):
        raise InvalidWorkspaceId(
            f"The part after `{platform}:` must be 1 to 64 letters, digits, `.`, `_` or `-`."
        )
    return f"{platform}:{external}"


def split_workspace_id(workspace_id: str) -> tuple[str, str]:
    """(platform, external id) of a valid workspace id."""
    normalised = parse_workspace_id(workspace_id)
    platform, _, external = normalised.partition(":")
    return platform, external
