"""venice-bot: Venice.ai billing in chat. The platform-neutral core lives in this package."""

__version__ = "0.1.0"
