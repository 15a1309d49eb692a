"""What ships: the version from the installed metadata, the licence, the container image
and its compose file, `.env.example`, and the systemd unit in README. No Docker daemon
runs here, so the Dockerfile is read instead, and the very command it would run — and its
HEALTHCHECK — are run against the fake Slack and the sandbox."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest
import yaml
from click.testing import CliRunner
from dotenv import dotenv_values

from bot.cli.main import main
from bot.config import Settings
from revenium.sandbox.server import SandboxServer, serve
from tests.fakes.revenium import KEY, TEAM, empty
from tests.fakes.slack import FakeSlack
from tests.support.serving import serve_env, serving

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SCRIPT = Path(sys.executable).with_name("imgmetrics")  # the console script of this install


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (KEYWORD, arguments), continuation lines joined."""
    text = re.sub(r"\s*\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1].strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def dockerfile() -> list[tuple[str, str]]:
    """The final stage's instructions: what the image is."""
    found = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(found) if keyword == "FROM")
    return found[last_from:]


def one(keyword: str) -> str:
    [value] = [args for k, args in dockerfile() if k == keyword]
    return value


def exec_form(args: str) -> list[str]:
    """A JSON array (exec form: no shell in between, signals reach the process)."""
    parsed = json.loads(args)
    assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed), args
    return parsed


def image_command() -> click.Context:
    """ENTRYPOINT + CMD as the `imgmetrics` command line reads them."""
    entry, cmd = exec_form(one("ENTRYPOINT")), exec_form(one("CMD"))
    assert entry == ["imgmetrics"] and PYPROJECT["scripts"]["imgmetrics"] == "bot.cli.main:main"
    return parsed(cmd)


def parsed(args: list[str]) -> click.Context:
    """`imgmetrics ARGS…` parsed by the command line itself: unknown options fail here."""
    return main.commands[args[0]].make_context(args[0], args[1:])


def healthcheck() -> list[str]:
    check = one("HEALTHCHECK")
    assert re.match(r"(--\w[\w-]*=\S+ )*CMD \[", check), f"not in exec form: {check}"
    return exec_form(check.split("CMD", 1)[1])


def test_version_is_the_installed_distributions() -> None:
    shown = CliRunner().invoke(main, ["--version"])
    assert shown.exit_code == 0 and shown.output == f"imgmetrics {version('imgmetrics')}\n"
    assert version("imgmetrics") == PYPROJECT["version"]


def test_the_licence_is_apache_2() -> None:
    assert PYPROJECT["license"] == "Apache-2.0" and PYPROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 200


def test_the_image_is_slim_unprivileged_keeps_its_state_on_a_volume() -> None:
    base = re.fullmatch(r"python:3\.(\d+)-slim", one("FROM"))
    assert base and int(base[1]) >= int(PYPROJECT["requires-python"].split(".")[1])
    user = one("USER")
    assert user not in ("root", "0") and "--user-group --home-dir /data" in one("RUN")
    assert user in one("RUN").split()  # the user the image creates
    db = re.search(r"IMGMETRICS_DB=(\S+)", one("ENV"))
    assert db and str(Path(db[1]).parent) in exec_form(one("VOLUME"))
    served = image_command()
    assert served.info_name == "serve" and served.params["host"] == "0.0.0.0"
    url = urlsplit(re.search(r"http://[^'\"]+", " ".join(healthcheck()))[0])  # type: ignore[index]
    assert (url.hostname, url.port, url.path) == ("127.0.0.1", served.params["port"], "/healthz")
    assert str(served.params["port"]) in one("EXPOSE").split()


def test_the_build_context_holds_what_the_image_copies_and_no_state() -> None:
    kept = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    copied = {
        source.rstrip("/")
        for keyword, args in instructions()
        if keyword == "COPY" and not args.startswith("--from")
        for source in args.split()[:-1]
    }
    assert copied == kept and all((ROOT / path).exists() for path in copied)
    assert (ROOT / ".dockerignore").read_text().splitlines()[1] == "*"  # all else left out


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    box = empty()
    with serve(box) as running:
        yield running
    box.close()


def test_the_image_command_serves_and_its_healthcheck_tells_alive_from_dead(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """`imgmetrics serve` through the console script, as ENTRYPOINT + CMD run it (on
    loopback and a free port here); the HEALTHCHECK passes while it runs, fails after."""
    assert SCRIPT.exists(), f"the console script is not installed at {SCRIPT}"
    assert image_command().info_name == "serve"
    with FakeSlack() as slack:
        env = serve_env(sandbox, slack, KEY, TEAM, tmp_path / "data" / "imgmetrics.db")
        (tmp_path / "data").mkdir()
        log = tmp_path / "serve.log"
        args = ["--host", "127.0.0.1", "--no-scheduler"]
        with serving(env, *args, log=log, program=[str(SCRIPT)]) as running:
            port = urlsplit(running.url).port
            check = [sys.executable, *healthcheck()[1:]]
            check = [a.replace(":3000/", f":{port}/") for a in check]
            assert run(check).returncode == 0, run(check).stderr
        assert run(check).returncode != 0  # nothing listens: the orchestrator is told


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)


def test_compose_runs_the_image_with_its_volume_and_env_file() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    [service] = compose["services"].values()
    assert service["build"] == "." and service["env_file"] == ".env"
    volumes = exec_form(one("VOLUME"))
    assert [v.split(":")[1] for v in service["volumes"]] == volumes
    assert all(v.split(":")[0] in compose["volumes"] for v in service["volumes"])
    port = image_command().params["port"]
    assert [p.rsplit(":", 1)[1] for p in service["ports"]] == [str(port)]
    assert "command" not in service and "entrypoint" not in service  # the image's own


def test_env_example_names_every_variable_and_parses() -> None:
    example = dotenv_values(ROOT / ".env.example")
    read = set(re.findall(r'env\.get\("([A-Z_]+)"', (ROOT / "bot/config.py").read_text()))
    readme = (ROOT / "README.md").read_text().split("## Configuration", 1)[1]
    listed = set(re.findall(r"^\| `([A-Z_]+)`", readme.split("\n## ", 1)[0], re.M))
    assert read <= set(example) and listed <= set(example)
    assert {"IMGMETRICS_DATABASE_URL", "IMGMETRICS_LOG_FORMAT"} <= set(example)  # CONTRACT §3
    secrets = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "REVENIUM_API_KEY")
    assert all(example[name] == "" for name in secrets)  # no secret, real or made up
    values = {k: v for k, v in example.items() if v is not None}
    assert Settings.from_env(values, dotenv=False).db_path == "./imgmetrics.db"


def test_the_readme_systemd_unit_runs_a_real_command() -> None:
    readme = (ROOT / "README.md").read_text()
    unit = re.search(r"```ini\n(\[Unit\].*?)```", readme, re.S)
    assert unit, "README's Deploy section shows a systemd unit"
    lines = dict(
        line.split("=", 1) for line in unit[1].splitlines() if "=" in line and "[" not in line
    )
    program, *args = lines["ExecStart"].split()
    assert program.endswith("/imgmetrics") and lines["KillSignal"] == "SIGTERM"
    assert parsed(args).info_name == "serve"
    assert lines["User"] != "root" and "IMGMETRICS_DB" in lines["Environment"]
