# venice-bot's image: `docker build -t venice-bot .`, then `docker run venice-bot` runs
# `venice-bot serve` (see docs/deploying.md). `make check-image` lints this file and runs the
# same install steps (scripts/install_app.sh) in a virtual environment.

# Stage 1: build the wheel from the sources.
FROM python:3.12-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md LICENSE ./
COPY scripts/install_app.sh scripts/
COPY bot bot
COPY adapters adapters
COPY venice_simulator venice_simulator
RUN sh scripts/install_app.sh wheel /dist

# Stage 2: a slim runtime with the wheel (Slack and Discord extras) in a virtual environment.
FROM python:3.12-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venice-bot \
    PATH=/opt/venice-bot/bin:$PATH
COPY constraints.txt /tmp/install/
COPY scripts/install_app.sh /tmp/install/scripts/
COPY --from=build /dist /tmp/install/dist
RUN sh /tmp/install/scripts/install_app.sh install /opt/venice-bot /tmp/install/dist \
    && rm -rf /tmp/install \
    && groupadd --system --gid 10001 venice \
    && useradd --system --uid 10001 --gid venice --home-dir /data --shell /usr/sbin/nologin venice \
    && mkdir -p /data \
    && chown venice:venice /data \
    && chmod 0700 /data

# /data keeps the embedded SQLite database and, without VENICE_BOT_MASTER_KEYS(_FILE), the local
# master keyring the bot creates under XDG_STATE_HOME: mount a volume there.
ENV HOME=/data \
    XDG_STATE_HOME=/data \
    DATABASE_URL=sqlite+aiosqlite:////data/venice-bot.db \
    VENICE_BOT_HOST=0.0.0.0 \
    PORT=3000
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 3000
# The slim image has no curl: Python asks /healthz (alive) on the port serve listens on.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; url = 'http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'); sys.exit(0 if urllib.request.urlopen(url, timeout=4).status == 200 else 1)"]
# On SIGTERM serve drains acknowledged Slack work, releases its digest leases and is gone within
# 10 s: any stop timeout of 15 s or more will do (`docker run --stop-timeout 30`, compose's
# stop_grace_period).
STOPSIGNAL SIGTERM
ENTRYPOINT ["venice-bot"]
CMD ["serve"]
