"""compose.yaml without a Docker engine: it parses, each service runs a command that exists in
this virtualenv, each ADVISOR_* variable it sets is a setting that validates, and its images,
volumes and dependencies fit together (two sites on one database and one key, migrated first)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from advisor.settings import Settings, load_settings
from tests.conftest import ROOT

COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())  # merge keys (<<) resolved
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
IMAGE = "rollout-advisor:latest"
ADVISOR = sorted(name for name, service in SERVICES.items() if service.get("image") == IMAGE)
BIN = Path(sys.executable).parent
# What an operator exports before `docker compose up` (the file refuses to start without them).
REQUIRED = {"POSTGRES_PASSWORD": "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "ADVISOR_SECRET_KEY": "k" * 64}
# The service keys this file may use (Compose specification names; a misspelt key fails here).
SERVICE_KEYS = {
    "image",
    "build",
    "command",
    "environment",
    "volumes",
    "ports",
    "depends_on",
    "healthcheck",
    "restart",
}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?P<how>:\?|:-)?(?P<rest>[^}]*)\}")


def _interpolate(value: str) -> str:
    """Compose's ${NAME}, ${NAME:?error} and ${NAME:-default}, with the operator's variables."""

    def one(match: re.Match[str]) -> str:
        name, how, rest = match["name"], match["how"], match["rest"]
        if name in REQUIRED:
            return REQUIRED[name]
        assert how == ":-", f"${{{name}}} has no default and is not one of {sorted(REQUIRED)}"
        return rest

    return VARIABLE.sub(one, value)


def _environment(service: str) -> dict[str, str]:
    return {key: _interpolate(str(value)) for key, value in SERVICES[service].get("environment", {}).items()}


def _dockerfile_cmd() -> list[str]:
    match = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert match
    return list(json.loads(match.group(1)))


def _command(service: str) -> list[str]:
    """What the container runs: the service's command, else the image's CMD."""
    return list(SERVICES[service].get("command") or _dockerfile_cmd())


def _sites() -> list[str]:
    return [name for name in ADVISOR if _command(name)[0] == "gunicorn"]


def test_the_file_parses_and_uses_only_known_keys() -> None:
    assert set(COMPOSE) - {"services", "volumes"} == {key for key in COMPOSE if key.startswith("x-")}
    for name, service in SERVICES.items():
        assert set(service) <= SERVICE_KEYS, (name, set(service) - SERVICE_KEYS)
    text = (ROOT / "compose.yaml").read_text()
    named = {match["name"] for match in VARIABLE.finditer(text)}
    assert named == set(REQUIRED)  # nothing else to export
    for match in VARIABLE.finditer(text):
        assert match["how"] == ":?", f"{match[0]}: refuse to start without it, never default a secret"


@pytest.mark.parametrize("service", ADVISOR)
def test_each_service_runs_a_command_that_exists_here(service: str, tmp_path: Path) -> None:
    """The command resolves to this virtualenv's entry point and accepts its arguments: `advisor
    ... --help` exits 0; gunicorn checks its configuration and loads the site (on a SQLite file,
    as the compose network's database host is not here)."""
    command = _command(service)
    program = shutil.which(command[0], path=str(BIN))
    assert program, f"{command[0]} is not installed in {BIN}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env |= _environment(service) | {
        "ADVISOR_DATABASE_URL": f"sqlite:///{tmp_path / 'advisor.db'}",
        "ADVISOR_INSTANCE_DIR": str(tmp_path / "instance"),
        "PATH": f"{BIN}:{os.environ['PATH']}",
    }
    if command[0] == "gunicorn":
        argv = [program, "--check-config", *command[1:]]
    else:
        argv = [program, *command[1:], "--help"]
    ran = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stdout + ran.stderr


@pytest.mark.parametrize("service", ADVISOR)
def test_every_advisor_variable_is_a_setting_that_validates(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = _environment(service)
    fields = {f"ADVISOR_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= fields, set(environment) - fields
    for key in list(os.environ):
        if key.startswith("ADVISOR_"):
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    settings = load_settings()
    url = make_url(settings.resolved_database_url)
    database = SERVICES["database"]["environment"]
    assert url.get_backend_name() == "postgresql"
    assert url.get_driver_name() == "psycopg"  # installed: requirements/main.txt
    assert url.host == "database"
    assert url.username == database["POSTGRES_USER"]
    assert url.database == database["POSTGRES_DB"]
    assert url.password == _interpolate(database["POSTGRES_PASSWORD"])
    assert settings.secret_key == REQUIRED["ADVISOR_SECRET_KEY"]


def test_services_images_volumes_and_dependencies_fit_together() -> None:
    # One image, built from this folder's Dockerfile.
    for name in ADVISOR:
        assert SERVICES[name]["build"] == ".", name
    assert (ROOT / "Dockerfile").exists()
    # Dependencies name services that exist, and wait for what they say they wait for.
    for name, service in SERVICES.items():
        for target, condition in service.get("depends_on", {}).items():
            assert target in SERVICES, (name, target)
            if condition["condition"] == "service_healthy":
                assert "test" in SERVICES[target]["healthcheck"], target
            else:
                assert condition["condition"] == "service_completed_successfully"
                assert SERVICES[target]["restart"] == "no", target  # a one-shot, so it completes
    # The one-shot migration, after the database is healthy; everything else of ours after it.
    assert _command("migrate") == ["advisor", "db", "upgrade"]
    assert SERVICES["migrate"]["depends_on"] == {"database": {"condition": "service_healthy"}}
    for name in set(ADVISOR) - {"migrate"}:
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # Two site instances on one database and one session key, each with its own instance folder
    # (the image's /data volume) and its own loopback port onto the image's.
    sites = _sites()
    assert len(sites) == 2
    assert len({_environment(site)["ADVISOR_DATABASE_URL"] for site in sites}) == 1
    assert len({_environment(site)["ADVISOR_SECRET_KEY"] for site in sites}) == 1
    image_port = re.search(r"ADVISOR_BIND=\S+:(\d+)", (ROOT / "Dockerfile").read_text())
    assert image_port
    published = [port for site in sites for port in SERVICES[site]["ports"]]
    assert len(set(published)) == len(published) == 2
    for port in published:
        address, _, container = port.rpartition(":")
        assert address.startswith("127.0.0.1:")
        assert container == image_port.group(1)
    # The job worker, and no health check asking it for the site it does not serve.
    assert _command("worker") == ["advisor", "worker"]
    assert SERVICES["worker"]["healthcheck"] == {"disable": True}
    # Named volumes: each declared one used by exactly one service; the database keeps its own.
    mounts = [
        (name, *volume.split(":")[:2])
        for name, service in SERVICES.items()
        for volume in service.get("volumes", [])
    ]
    declared = set(COMPOSE["volumes"])
    assert sorted(source for _, source, _ in mounts) == sorted(declared)
    for name, _, target in mounts:
        assert target == ("/var/lib/postgresql/data" if name == "database" else "/data"), name
    assert SERVICES["database"]["image"].startswith("postgres:")
    assert all(name == "database" or name in ADVISOR for name in SERVICES)  # no Redis, no other store
    assert not any("redis" in json.dumps(service).lower() for service in SERVICES.values())
