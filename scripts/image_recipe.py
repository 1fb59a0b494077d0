"""The rules the image recipe must keep, checked without Docker: the Dockerfile (parsed here) and
compose.yaml (parsed with PyYAML). Used by scripts/check_image.py and tests/test_image_recipe.py.
Each check returns a list of problems, one sentence each; an empty list means it passes."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INSTALL_SCRIPT = "install_app.sh"
# Names of settings whose values are secrets: never a literal value in compose.yaml.
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "MASTER_KEYS")
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+]).*)?\}$")
CREDENTIALS_IN_URL = re.compile(r"://[^/\s:@]+:([^@\s]+)@")
TOKEN_SHAPES = re.compile(r"\b(?:xox[abpre]-|xapp-|VENICE_(?:ADMIN|INFERENCE)_KEY_)", re.I)


@dataclass
class Instruction:
    """One Dockerfile instruction: its keyword, its flags (--from=...) and its arguments."""

    keyword: str
    text: str  # everything after the keyword, continuations joined
    line: int

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form's list, or None for the shell form."""
        body = strip_flags(self.text)[1]
        if not body.startswith("["):
            return None
        try:
            value = json.loads(body)
        except json.JSONDecodeError:
            return None
        return [str(v) for v in value] if isinstance(value, list) else None


@dataclass
class Stage:
    """A build stage: its base image, optional name and instructions."""

    image: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """This stage's instructions with KEYWORD."""
        return [i for i in self.instructions if i.keyword == keyword]


def strip_flags(text: str) -> tuple[dict[str, str], str]:
    """Leading `--flag=value` options of an instruction, and the rest."""
    flags: dict[str, str] = {}
    rest = text.strip()
    while rest.startswith("--"):
        word, _, rest = rest.partition(" ")
        name, _, value = word[2:].partition("=")
        flags[name] = value
        rest = rest.strip()
    return flags, rest


def parse_dockerfile(text: str) -> list[Stage]:
    """The stages of a Dockerfile (comments dropped, line continuations joined)."""
    stages: list[Stage] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        instruction = Instruction(keyword.upper(), rest.strip(), start)
        if instruction.keyword == "FROM":
            words = strip_flags(rest)[1].split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name, start))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def image_problems(image: str, stage_names: set[str]) -> list[str]:
    """A base image must name a tag other than `latest` (or a digest)."""
    if image in stage_names or "@sha256:" in image:
        return []
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag or tag == "latest":
        return [f"base image {image} is not pinned to a tag (name one, never latest)"]
    return []


def install_calls(stage: Stage) -> list[list[str]]:
    """Each `sh .../install_app.sh ...` call in the stage's RUN lines, as argument lists."""
    calls = []
    for run in stage.all("RUN"):
        for part in re.split(r"&&|;", strip_flags(run.text)[1]):
            words = shlex.split(part)
            if len(words) >= 2 and words[0] == "sh" and words[1].endswith(INSTALL_SCRIPT):
                calls.append(words[1:])
    return calls


def dockerfile_problems(text: str, install_script: str | None = None) -> list[str]:
    """What the Dockerfile (and the install script its RUN lines call) gets wrong."""
    stages = parse_dockerfile(text)
    if not stages:
        return ["the Dockerfile has no FROM"]
    problems: list[str] = []
    if len(stages) < 2:
        problems.append("the Dockerfile is not multi-stage (build the wheel in a stage of its own)")
    names = {s.name for s in stages if s.name}
    for stage in stages:
        problems += image_problems(stage.image, names)
        for add in stage.all("ADD"):
            if re.search(r"\b(?:https?|ftp)://", add.text):
                problems.append(f"line {add.line}: ADD of a URL (download in a RUN, checked)")
        for run in stage.all("RUN"):
            problems += pip_problems(run.text, f"line {run.line}")
    if install_script is not None:
        problems += pip_problems(install_script, INSTALL_SCRIPT)
    final = stages[-1]
    problems += final_stage_problems(final)
    build_calls = [c for s in stages[:-1] for c in install_calls(s)]
    if not any(c[1:2] == ["wheel"] for c in build_calls):
        problems.append(f"no build stage runs `sh scripts/{INSTALL_SCRIPT} wheel DIST`")
    final_calls = [c for c in install_calls(final) if c[1:2] == ["install"]]
    if len(final_calls) != 1 or len(final_calls[0]) != 4:
        problems.append(f"the final stage must run `sh .../{INSTALL_SCRIPT} install PREFIX DIST`")
    else:
        prefix = final_calls[0][2]
        paths = [i.text for i in final.all("ENV") if "PATH=" in i.text]
        if not any(f"{prefix}/bin" in p for p in paths):
            problems.append(f"{prefix}/bin (where venice-bot is installed) is not on ENV PATH")
    return problems


def pip_problems(command: str, where: str) -> list[str]:
    """Every `pip install` or `pip wheel` must say --no-cache-dir (no cache left in a layer)."""
    problems = []
    for part in re.split(r"&&|;|\n", command):
        if re.search(r"\bpip3?\b.*\b(?:install|wheel)\b", part) and "--no-cache-dir" not in part:
            problems.append(f"{where}: pip without --no-cache-dir: {part.strip()[:60]}")
    return problems


def final_stage_problems(final: Stage) -> list[str]:
    """The runtime stage: non-root, health-checked, `venice-bot serve`, port 3000, SIGTERM."""
    problems = []
    order = [i.keyword for i in final.instructions]
    users = final.all("USER")
    if not users or users[-1].text.split(":")[0] in ("root", "0"):
        problems.append("the final stage does not switch to a non-root USER")
    elif "ENTRYPOINT" in order and order.index("ENTRYPOINT") < order.index("USER"):
        problems.append("USER comes after ENTRYPOINT; switch user first")
    checks = final.all("HEALTHCHECK")
    if not checks or strip_flags(checks[-1].text)[1].upper().startswith("NONE"):
        problems.append("the final stage has no HEALTHCHECK")
    elif "/healthz" not in checks[-1].text:
        problems.append("the HEALTHCHECK does not ask /healthz")
    entry = final.all("ENTRYPOINT")
    if not entry or entry[-1].exec_form != ["venice-bot"]:
        problems.append('ENTRYPOINT must be ["venice-bot"] (exec form, so signals reach it)')
    cmd = final.all("CMD")
    if not cmd or cmd[-1].exec_form != ["serve"]:
        problems.append('CMD must be ["serve"]')
    if not any("3000" in e.text.split() for e in final.all("EXPOSE")):
        problems.append("EXPOSE 3000 is missing")
    if not any(s.text.strip() == "SIGTERM" for s in final.all("STOPSIGNAL")):
        problems.append("STOPSIGNAL SIGTERM is missing")
    return problems


def healthcheck_command(text: str) -> list[str]:
    """The final stage's HEALTHCHECK command, exec form."""
    check = parse_dockerfile(text)[-1].all("HEALTHCHECK")[-1]
    body = strip_flags(check.text)[1]
    if not body.upper().startswith("CMD "):
        raise ValueError("the HEALTHCHECK must be CMD [...]")
    return Instruction("CMD", body[4:], check.line).exec_form or ["sh", "-c", body[4:]]


def compose_problems(doc: Any) -> list[str]:
    """What compose.yaml gets wrong: services, health checks, ordering, volumes, secrets."""
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        return ["compose.yaml has no services"]
    services: dict[str, Any] = doc["services"]
    problems = [
        f"service {n} is missing"
        for n in ("bot", "migrate", "redis", "postgres")
        if n not in services
    ]
    if problems:
        return problems
    for name in ("redis", "postgres"):
        test = (services[name].get("healthcheck") or {}).get("test")
        if not test:
            problems.append(f"service {name} has no healthcheck")
        if not any(":" in str(v) for v in services[name].get("volumes") or []):
            problems.append(f"service {name} keeps its data in no volume")
    if (services["bot"].get("healthcheck") or {}).get("disable"):
        problems.append("the bot's healthcheck (the image's /healthz) is disabled")
    wanted = {
        "postgres": "service_healthy",
        "redis": "service_healthy",
        "migrate": "service_completed_successfully",
    }
    depends = services["bot"].get("depends_on") or {}
    for name, condition in wanted.items():
        got = depends.get(name, {}).get("condition") if isinstance(depends, dict) else None
        if got != condition:
            problems.append(f"bot must depend on {name} with condition {condition}")
    if services["migrate"].get("command") != ["db", "upgrade"]:
        problems.append('migrate must run ["db", "upgrade"]')
    sim = services.get("simulator")
    if sim is None or "demo" not in (sim.get("profiles") or []):
        problems.append("the simulator service (profile demo) is missing")
    for volume in doc.get("volumes") or {}:
        if not any(
            str(v).startswith(f"{volume}:")
            for s in services.values()
            for v in s.get("volumes") or []
        ):
            problems.append(f"volume {volume} is declared but mounted by no service")
    return problems + secret_problems(doc)


def secret_problems(doc: dict[str, Any]) -> list[str]:
    """No secret value written into compose.yaml: only ${REFERENCES}, env files and files."""
    problems = []
    for name, service in doc["services"].items():
        environment = service.get("environment") or {}
        if isinstance(environment, list):
            environment = dict(e.partition("=")[::2] for e in environment)
        for key, value in environment.items():
            secret = any(w in key.upper() for w in SECRET_WORDS) and not key.endswith("_FILE")
            text = "" if value is None else str(value).strip()
            if secret and text and not REFERENCE.match(text):
                problems.append(f"{name}: {key} has a literal value; use .env or a secret file")
    for name, secret in (doc.get("secrets") or {}).items():
        if not isinstance(secret, dict) or not ({"file", "environment"} & set(secret)):
            problems.append(f"secret {name} must come from a file or an environment variable")
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


def env_example_problems(text: str, variables: list[str]) -> list[str]:
    """.env.example names every setting (commented or not) and holds no value for a secret."""
    problems = [
        f".env.example does not mention {v}"
        for v in variables
        if not re.search(rf"^#?\s*{re.escape(v)}=", text, re.M)
    ]
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if line.startswith("#") or not sep:
            continue
        if any(w in key.upper() for w in SECRET_WORDS) and value.strip():
            problems.append(f".env.example gives {key} a value; leave secrets empty")
    return problems
