"""Discord: discord.py slash commands under /venice, embeds, permission checks, connect modal."""
