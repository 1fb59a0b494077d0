# venice-bot: every target creates or reuses the project's own virtual environment in .venv.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck bench bench-cache bench-alerts bench-digest bench-discord bench-slack check check-image clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "venice-bot needs Python 3.11 or newer (python3.11, python3.12 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,slack,discord]'
	@touch $(STAMP)

run: install
	$(BIN)/venice-bot demo

test: install
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check bot adapters venice_simulator tests bench scripts
	$(BIN)/ruff format --check bot adapters venice_simulator tests bench scripts
	$(BIN)/lint-imports --no-logo

typecheck: install
	$(BIN)/mypy bot adapters venice_simulator

bench: install
	$(BIN)/python bench/core.py

bench-cache: install
	$(BIN)/python bench/cache.py

bench-alerts: install
	$(BIN)/python bench/alerts.py

bench-digest: install
	$(BIN)/python bench/digest.py

bench-discord: install
	$(BIN)/python bench/discord.py

bench-slack: install
	$(BIN)/python bench/slack.py

check: lint typecheck test

# The container recipe without Docker: hadolint, then the rules hadolint cannot know, compose.yaml,
# and the image's install steps run in a virtual environment, then the installed bot
# (scripts/check_image.py).
check-image: install
	$(BIN)/hadolint --no-color Dockerfile
	$(BIN)/python scripts/check_image.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .import_linter_cache
