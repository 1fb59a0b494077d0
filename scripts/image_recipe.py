"""The rules of the image recipe that hadolint cannot check, because they are about this bot, not
about Dockerfiles in general. hadolint (`make check-image` runs it first) holds the general ones:
pinned base images, no `latest`, exec-form ENTRYPOINT and CMD, `pip --no-cache-dir` in RUN, an
explicit root as the last USER, COPY instead of ADD.

The Dockerfile is parsed by BuildKit's own parser (the `dockerfile` package), compose.yaml by
PyYAML. Each check returns a list of problems, one sentence each; an empty list means it passes.
Used by scripts/check_image.py and tests/test_image_recipe.py.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import dockerfile  # type: ignore[import-not-found]  # it ships no type information

ROOT = Path(__file__).resolve().parents[1]
INSTALL_SCRIPT = "install_app.sh"
# Names of settings whose values are secrets: never a literal value in compose.yaml.
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "MASTER_KEYS")
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+]).*)?\}$")
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:([^@\s]+)@")
TOKEN_SHAPES = re.compile(r"\b(?:xox[abpre]-|xapp-|VENICE_(?:ADMIN|INFERENCE)_KEY_)", re.I)

Stage = list[dockerfile.Command]


def stages(text: str) -> list[Stage]:
    """The Dockerfile's stages, each its FROM followed by its instructions."""
    found: list[Stage] = []
    for command in dockerfile.parse_string(text):
        if command.cmd == "FROM":
            found.append([])
        if found:
            found[-1].append(command)
    return found


def last(stage: Stage, keyword: str) -> dockerfile.Command | None:
    """The stage's last instruction with KEYWORD: the one Docker keeps."""
    return next((c for c in reversed(stage) if c.cmd == keyword), None)


def stage_name(stage: Stage, number: int) -> str:
    """`FROM image AS name`'s name, or the stage's number (what COPY --from accepts)."""
    words = stage[0].value
    return words[2] if len(words) == 3 and words[1].upper() == "AS" else str(number)


def install_calls(stage: Stage) -> list[list[str]]:
    """Each `sh .../install_app.sh ...` call in the stage's RUN lines, as argument lists."""
    calls = []
    for run in (c for c in stage if c.cmd == "RUN" and not c.json):
        for part in re.split(r"&&|;", " ".join(run.value)):
            words = shlex.split(part)
            if len(words) >= 2 and words[0] == "sh" and words[1].endswith(INSTALL_SCRIPT):
                calls.append(words[1:])
    return calls


def healthcheck_command(text: str) -> list[str]:
    """The final stage's HEALTHCHECK command, as the argument list Docker runs."""
    check = last(stages(text)[-1], "HEALTHCHECK")
    if check is None or check.value[:1] != ("CMD",):
        raise ValueError("the final stage has no HEALTHCHECK CMD")
    return list(check.value[1:]) if check.json else ["/bin/sh", "-c", " ".join(check.value[1:])]


def image_command(text: str) -> list[str]:
    """What `docker run IMAGE` runs: the final stage's ENTRYPOINT followed by its CMD."""
    final = stages(text)[-1]
    return [word for c in (last(final, "ENTRYPOINT"), last(final, "CMD")) if c for word in c.value]


def dockerfile_problems(text: str) -> list[str]:
    """What the Dockerfile gets wrong for this bot (hadolint checks the rest)."""
    found = stages(text)
    if not found:
        return ["the Dockerfile has no FROM"]
    final = found[-1]
    problems = []
    # hadolint's DL3002 flags `USER root` only: an image with no USER at all runs as root too.
    user = last(final, "USER")
    if user is None or user.value[0].split(":")[0] in ("root", "0"):
        problems.append("the final stage does not switch to a non-root USER")
    check = last(final, "HEALTHCHECK")
    if check is None or check.value[:1] != ("CMD",):
        problems.append("the final stage has no HEALTHCHECK")
    elif "/healthz" not in " ".join(check.value):
        problems.append("the HEALTHCHECK does not ask /healthz")
    # compose.yaml's `command:` lines are venice-bot's subcommands (serve, db upgrade, simulate).
    entry = last(final, "ENTRYPOINT")
    if entry is None or list(entry.value) != ["venice-bot"]:
        problems.append('ENTRYPOINT must be ["venice-bot"], the installed console script')
    # check_image.py replays these two calls: without them it would test some other install.
    if not any(c[1:2] == ["wheel"] for s in found[:-1] for c in install_calls(s)):
        problems.append(f"no build stage runs `sh scripts/{INSTALL_SCRIPT} wheel DIST`")
    installs = [c for c in install_calls(final) if c[1:2] == ["install"]]
    if len(installs) != 1 or len(installs[0]) != 4:
        problems.append(f"the final stage must run `sh .../{INSTALL_SCRIPT} install PREFIX DIST`")
    else:
        prefix = installs[0][2]
        paths = [v for c in final if c.cmd == "ENV" for k, v in pairs(c.value) if k == "PATH"]
        if not any(f"{prefix}/bin" in p.split(":") for p in paths):
            problems.append(f"{prefix}/bin (where venice-bot is installed) is not on ENV PATH")
    return problems


def pairs(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """ENV's (name, value) pairs, as the parser lists them flat."""
    return list(zip(values[::2], values[1::2], strict=True))


def ignored_by(dockerignore: str) -> re.Pattern[str]:
    """A regex matching the context paths .dockerignore leaves out (it has no `!` exceptions)."""
    parts = []
    for pattern in dockerignore.splitlines():
        pattern = pattern.strip().strip("/")
        if pattern and not pattern.startswith("#"):
            body = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
            parts.append(body.replace(r"\?", "[^/]"))
    return re.compile(rf"^(?:{'|'.join(parts)})(?:/.*)?$")


def copy_problems(text: str, context: Path, dockerignore: str) -> list[str]:
    """Every COPY from the build context names a path that exists and .dockerignore keeps."""
    skip = ignored_by(dockerignore)
    problems = []
    for stage in stages(text):
        for copy in (
            c for c in stage if c.cmd == "COPY" and not any(f.startswith("--from") for f in c.flags)
        ):
            for source in copy.value[:-1]:
                relative = source.strip("/")
                if not (context / relative).exists():
                    problems.append(f"line {copy.start_line}: COPY {source}: no such path")
                elif skip.match(relative):
                    problems.append(
                        f"line {copy.start_line}: COPY {source}: .dockerignore drops it"
                    )
    return problems


def compose_problems(doc: Any, settings: list[str]) -> list[str]:
    """What compose.yaml gets wrong: the image's settings, the start order, secrets."""
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        return ["compose.yaml has no services"]
    services: dict[str, Any] = doc["services"]
    problems = []
    # A misspelt setting is silently ignored by the bot; compose cannot know the bot's names.
    for name, service in services.items():
        if "build" in service:
            problems += [
                f"{name}: {key} is not a setting venice-bot reads"
                for key in environment(service)
                if key not in settings
            ]
    wanted = {
        "migrate": "service_completed_successfully",
        "postgres": "service_healthy",
        "redis": "service_healthy",
    }
    depends = (services.get("bot") or {}).get("depends_on") or {}
    for name, condition in wanted.items():
        got = depends.get(name, {}).get("condition") if isinstance(depends, dict) else None
        if got != condition:
            problems.append(f"bot must depend on {name} with condition {condition}")
    return problems + secret_problems(doc)


def environment(service: dict[str, Any]) -> dict[str, Any]:
    """A compose service's environment, written as a mapping or as a list of NAME=VALUE."""
    values = service.get("environment") or {}
    if isinstance(values, list):
        return dict(str(e).partition("=")[::2] for e in values)
    return dict(values)


def secret_problems(doc: dict[str, Any]) -> list[str]:
    """No secret value written into compose.yaml: only ${REFERENCES}, env files and files."""
    problems = []
    for name, service in doc["services"].items():
        for key, value in environment(service).items():
            secret = any(w in key.upper() for w in SECRET_WORDS) and not key.endswith("_FILE")
            text = "" if value is None else str(value).strip()
            if secret and text and not REFERENCE.match(text):
                problems.append(f"{name}: {key} has a literal value; use .env or a secret file")
    for text in strings(doc):
        match = CREDENTIALS_IN_URL.search(text)
        if match and not match.group(1).startswith("${"):
            problems.append(f"a URL carries a literal password: {text[: match.start(1)]}...")
        if TOKEN_SHAPES.search(text):
            problems.append("compose.yaml holds something shaped like a token or Venice key")
    return problems


def strings(node: Any) -> list[str]:
    """Every string in a parsed YAML document, keys included."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in strings(k) + strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in strings(v)]
    return [node] if isinstance(node, str) else []


def env_example_problems(text: str, settings: list[str]) -> list[str]:
    """.env.example names every setting (commented or not) and holds no value for a secret."""
    problems = [
        f".env.example does not mention {v}"
        for v in settings
        if not re.search(rf"^#?\s*{re.escape(v)}=", text, re.M)
    ]
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if line.startswith("#") or not sep:
            continue
        if any(w in key.upper() for w in SECRET_WORDS) and value.strip():
            problems.append(f".env.example gives {key} a value; leave secrets empty")
    return problems
