"""The text of a card as every renderer shows it, written once: printable text measured in
display cells (text), names isolated from the figures beside them (bidi), the shared wording
of footers, times and meters (wording), table columns (table) and sparklines (sparkline).

Platform-neutral: no chat SDK here. Each renderer (adapters/slack, adapters/discord,
adapters/console) adds only its own escaping and its platform's limits.
"""
