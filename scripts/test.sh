#!/usr/bin/env bash
# The test suite, as `make test` runs it (CI runs the same through .ci/run).
#
# Tests that need Redis or PostgreSQL use real servers, found here and passed on as
# VENICE_BOT_TEST_REDIS_URL / VENICE_BOT_TEST_DATABASE_URL:
# - Redis: the one on 127.0.0.1:6379 when it answers; otherwise a private redis-server started
#   for this run (Debian's redis-server package is installed first when the binary is missing).
# - PostgreSQL: the one on 127.0.0.1:5432 (database `test`) when it answers.
# Under CI=true a test that needs a server that is not there fails; elsewhere it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

answers() {  # answers HOST PORT: true when something accepts a TCP connection there
  "$PY" - "$1" "$2" <<'PYEOF'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PYEOF
}

ensure_redis_server_binary() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "test.sh: redis-server is missing; installing Debian's redis-server package" >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null && \
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
  # The package may start its own service; the private server below does not depend on it.
}
export -f ensure_redis_server_binary

private_redis_pid=""
cleanup() { [ -n "$private_redis_pid" ] && kill "$private_redis_pid" 2>/dev/null || true; }
trap cleanup EXIT

if [ -z "${VENICE_BOT_TEST_REDIS_URL:-}" ]; then
  if answers 127.0.0.1 6379; then
    export VENICE_BOT_TEST_REDIS_URL="redis://127.0.0.1:6379/0"
  else
    ensure_redis_server_binary || echo "test.sh: could not install redis-server" >&2
    if command -v redis-server >/dev/null 2>&1; then
      port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      redis-server --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
        --daemonize no --loglevel warning >/dev/null 2>&1 &
      private_redis_pid=$!
      for _ in $(seq 50); do answers 127.0.0.1 "$port" && break; sleep 0.1; done
      export VENICE_BOT_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
      echo "test.sh: no Redis on 127.0.0.1:6379; started a private one on port $port" >&2
    fi
  fi
fi

if [ -z "${VENICE_BOT_TEST_DATABASE_URL:-}" ] && answers 127.0.0.1 5432; then
  export VENICE_BOT_TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/test"
fi

# Tests that start and kill their own Redis need the binary, too.
command -v redis-server >/dev/null 2>&1 || ensure_redis_server_binary || true

.venv/bin/python -m pytest "$@"
