#!/usr/bin/env bash
# The test suite, as `make test` runs it (CI runs the same through .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m pytest "$@"
