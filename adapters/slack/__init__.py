"""Slack: slack-bolt AsyncApp, Block Kit rendering, OAuth install, App Home."""
