"""compose.yaml is valid and every service's command names modules that exist."""

import importlib
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose():
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def module_exists(dotted: str) -> bool:
    return importlib.util.find_spec(dotted) is not None


def test_compose_services():
    services = compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    assert "healthcheck" in services["postgres"]
    assert "healthcheck" in services["redis"]


def test_each_command_names_existing_modules():
    services = compose()["services"]
    for name in ("web", "worker", "beat", "migrate"):
        command = services[name]["command"]
        program = command[0]
        if program == "daphne":
            module, attr = command[-1].split(":")
            assert module_exists(module)
            assert hasattr(importlib.import_module(module), attr)
        elif program == "celery":
            app = command[command.index("-A") + 1]
            assert module_exists(f"{app}.celery")
            assert command[command.index("-A") + 2] in {"worker", "beat"}
        elif program == "python":
            assert (ROOT / command[1]).exists()
        else:
            pytest.fail(f"unexpected program {program} in {name}")


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_accepts_the_file():
    result = subprocess.run(
        ["docker-compose", "-f", "compose.yaml", "config", "--quiet"],
        cwd=ROOT, env={"SECRET_KEY": "x" * 50, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_is_multi_stage_and_non_root():
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("FROM ") >= 2
    assert "USER numerai" in text
    assert (ROOT / ".dockerignore").exists()
