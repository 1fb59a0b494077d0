"""`venice-bot`, the command line: the entry point that builds the core and wires the adapters
(ask, keys, digest, db, serve, discord, demo, simulate)."""
