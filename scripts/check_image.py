"""`make check-image`, after hadolint: the container recipe, checked as far as a machine without
Docker allows.

    rules    what hadolint cannot know (scripts/image_recipe.py): the Dockerfile's user, health
             check, entry point, install steps and COPY sources; compose.yaml's settings, start
             order and secrets; .env.example; .gitignore
    compose  `docker-compose config` (Debian's package, installed when missing) on compose.yaml
    run      the image's install steps in a virtual environment: the build stage's COPY lines
             and `install_app.sh wheel`, then the runtime stage's `install_app.sh install`,
             exactly as the Dockerfile says; then the installed venice-bot is run
             (scripts/image_run.py)

With no argument, all three. Run it with the project's .venv python (dockerfile, PyYAML).
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


def rules() -> list[str]:
    """The recipe's own rules on the Dockerfile, compose.yaml, .env.example and .gitignore."""
    from bot.settings import Settings

    settings = [str(f.validation_alias) for f in Settings.model_fields.values()]
    text = (ROOT / "Dockerfile").read_text()
    problems = recipe.dockerfile_problems(text)
    problems += recipe.copy_problems(text, ROOT, (ROOT / ".dockerignore").read_text())
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    problems += recipe.compose_problems(compose, settings)
    problems += recipe.env_example_problems((ROOT / ".env.example").read_text(), settings)
    ignored = (ROOT / ".gitignore").read_text().split()
    problems += [
        f".gitignore does not ignore {p}" for p in (".env", "secrets/") if p not in ignored
    ]
    return problems


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


def copy_stage(stage: recipe.Stage, root: Path, built: dict[str, Path]) -> None:
    """Lay out STAGE's COPY lines under ROOT (its filesystem), from the context or a built stage;
    what .dockerignore drops is left out, as Docker leaves it out of the context."""
    skip = recipe.ignored_by((ROOT / ".dockerignore").read_text())
    workdir = "/"
    for command in stage:
        if command.cmd == "WORKDIR":
            workdir = command.value[0]
        if command.cmd != "COPY":
            continue
        flags = dict(f.removeprefix("--").partition("=")[::2] for f in command.flags)
        *sources, dest = command.value
        base = built[flags["from"]] if "from" in flags else ROOT
        target = root / (dest if dest.startswith("/") else f"{workdir}/{dest}").lstrip("/")
        for source in sources:
            found = base / source.lstrip("/")  # a missing one is named by the rules
            into = target / found.name if dest.endswith("/") or len(sources) > 1 else target
            files = [p for p in found.rglob("*") if p.is_file()] if found.is_dir() else [found]
            for path in files:
                if base == ROOT and skip.match(path.relative_to(ROOT).as_posix()):
                    continue
                copied = into / path.relative_to(found) if found.is_dir() else into
                copied.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, copied)


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
    """Every stage's COPY lines and install_app.sh calls, run as the Dockerfile runs them; the
    installed environment's bin."""
    stages = recipe.stages((ROOT / "Dockerfile").read_text())
    image = stages[-1][0].value[0]
    minor = re.match(r"python:(3\.\d+)", image)
    if minor is None:
        raise SystemExit(f"the runtime image {image} is not python:3.X-...")
    env = {**os.environ, "PYTHON": find_python(minor.group(1))}  # the base image's python3
    built: dict[str, Path] = {}
    for number, stage in enumerate(stages):
        root = built.setdefault(recipe.stage_name(stage, number), scratch / f"stage{number}")
        copy_stage(stage, root, built)
        workdir = root
        for command in stage:
            if command.cmd == "WORKDIR":
                workdir = root / command.value[0].lstrip("/")
            for call in recipe.install_calls([command]):
                # Absolute paths live under the stage's root; relative ones under its WORKDIR.
                args = [str(root / a.lstrip("/")) if a.startswith("/") else a for a in call]
                print(f"check-image: stage {number}: sh {' '.join(call)}", flush=True)
                done = subprocess.run(
                    ["sh", *args], cwd=workdir, env=env, text=True, capture_output=True, check=False
                )
                if done.returncode:
                    raise SystemExit(f"sh {' '.join(call)} failed:\n{done.stdout}{done.stderr}")
    prefix = next(c for c in recipe.install_calls(stages[-1]) if c[1] == "install")[2]
    return root / prefix.lstrip("/") / "bin"


def main(argv: list[str]) -> int:
    """Run the named checks (all by default); 1 when any finds a problem."""
    wanted = argv or ["rules", "compose", "run"]
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="venice-image-") as tmp:
        scratch = Path(tmp)
        if "rules" in wanted:
            problems += rules()
            print(f"check-image: the recipe's rules: {len(problems)} problem(s)", flush=True)
        if "compose" in wanted:
            problems += compose_config(scratch)
        if "run" in wanted and not problems:
            from image_run import run_installed

            problems += run_installed(build(scratch), scratch)
    for problem in problems:
        print(f"check-image: {problem}", flush=True)
    print("check-image: " + ("FAILED" if problems else "ok"), flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
