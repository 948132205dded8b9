"""compose.yaml is valid and every service's command names modules that exist."""

import importlib
import importlib.util
import re
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
        elif program == "python" and command[1] == "-m":
            assert module_exists(command[2])
        elif program == "python":
            assert (ROOT / command[1]).exists()
        else:
            pytest.fail(f"unexpected program {program} in {name}")


def test_compose_sends_email_by_smtp_configured_from_the_environment():
    """The console backend prints one-time codes into the container logs: never compose's
    default. Every email setting settings.py reads can be set through compose."""
    environment = compose()["x-app"]["environment"]
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    assert environment["EMAIL_BACKEND"] == f"${{EMAIL_BACKEND:-{smtp}}}"
    assert not [name for name, value in environment.items() if "console" in str(value)]
    settings_text = (ROOT / "numerai" / "settings.py").read_text()
    read = set(re.findall(r'env_?\w*\("((?:EMAIL_|DEFAULT_FROM_EMAIL)\w*)"', settings_text))
    read |= set(re.findall(r'os\.environ\.get\("((?:EMAIL_|DEFAULT_FROM_EMAIL)\w*)"',
                           settings_text))
    assert {"EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_HOST_PASSWORD", "EMAIL_TIMEOUT"} <= read
    for name in read - {"EMAIL_FILE_PATH"}:  # the file backend is for tests
        assert str(environment.get(name, "")).startswith(f"${{{name}:-"), name


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
