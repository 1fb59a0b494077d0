#!/bin/sh
# The image's install steps, in one place: the Dockerfile runs them, and so does
# `make check-image` (scripts/check_image.py) in a virtual environment, so the two never drift.
#
#   install_app.sh wheel DIST             build venice-bot's wheel from the source tree in the
#                                         current directory into DIST (the build stage)
#   install_app.sh install PREFIX DIST    create a virtual environment at PREFIX and install the
#                                         wheel from DIST with the Slack and Discord extras,
#                                         every version pinned by ../constraints.txt (the runtime stage)
#
# PYTHON names the interpreter (default python3). Nothing is installed in editable mode and no
# development tool is installed: what runs is exactly what the wheel carries.
set -eu
PYTHON="${PYTHON:-python3}"
EXTRAS="slack,discord"
# The pins live beside the sources: ../constraints.txt from this script.
CONSTRAINTS="$(cd "$(dirname "$0")/.." && pwd)/constraints.txt"

case "${1:-}" in
  wheel)
    [ $# -eq 2 ] || { echo "usage: install_app.sh wheel DIST" >&2; exit 2; }
    "$PYTHON" -m pip wheel --no-cache-dir --no-deps -c "$CONSTRAINTS" --wheel-dir "$2" .
    ;;
  install)
    [ $# -eq 3 ] || { echo "usage: install_app.sh install PREFIX DIST" >&2; exit 2; }
    prefix="$2"; dist="$3"
    set -- "$dist"/venice_bot-*.whl
    [ $# -eq 1 ] && [ -f "$1" ] || { echo "install_app.sh: expected one venice_bot wheel in $dist" >&2; exit 1; }
    "$PYTHON" -m venv "$prefix"
    "$prefix/bin/python" -m pip install --no-cache-dir --disable-pip-version-check \
      -c "$CONSTRAINTS" "$1[$EXTRAS]"
    ;;
  *)
    echo "usage: install_app.sh wheel DIST | install_app.sh install PREFIX DIST" >&2
    exit 2
    ;;
esac
