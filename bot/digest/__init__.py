"""The daily digest: its content (content.py), who posts it when (runner.py), the tick loop of
`venice-bot serve` (scheduler.py)."""
