"""Alerts (issue 18): rules a channel sets (rules.py), the state machine that decides when one
posts (states.py), and how a stored rule and its state meet that machine (stored.py).

Nothing here imports the store except stored.py, and the store (bot/store/alerts.py) imports
nothing from here: the sweep that posts alerts may import both."""
