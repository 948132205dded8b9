"""Settings come from the environment; production refuses a missing or default secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env):
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c",
         "import django, json; django.setup(); from django.conf import settings as s;"
         "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
         "'cache': s.CACHES['default']['BACKEND'],"
         "'layer': s.CHANNEL_LAYERS['default']['BACKEND'], 'broker': s.CELERY_BROKER_URL,"
         "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'model': s.CHAT_MODEL_BACKEND}))"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "numerai.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("secret", [None, "", "change-me", "django-insecure-abc"])
def test_debug_off_refuses_missing_or_default_secret(secret):
    env = {"DEBUG": "0"} if secret is None else {"DEBUG": "0", "SECRET_KEY": secret}
    result = load_settings(**env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_on_allows_a_development_key():
    assert load_settings(DEBUG="1").returncode == 0


def test_embedded_default_without_urls():
    import json

    result = load_settings(SECRET_KEY="x" * 50, DATABASE_URL="", REDIS_URL="",
                           CELERY_BROKER_URL="", OPENAI_API_KEY="")
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf == {
        "engine": "django.db.backends.sqlite3",
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "layer": "channels.layers.InMemoryChannelLayer",
        "broker": "memory://",
        "eager": True,
        "model": "chat.llm.offline.OfflineChatModel",
    }


def test_scaled_mode_from_urls():
    import json

    result = load_settings(
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://u:p@db.example:5432/numerai",
        REDIS_URL="redis://cache.example:6379/0",
        OPENAI_API_KEY="sk-test",
    )
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout)
    assert conf == {
        "engine": "numerai.postgresql",
        "cache": "django_redis.cache.RedisCache",
        "layer": "channels_redis.core.RedisChannelLayer",
        "broker": "redis://cache.example:6379/0",
        "eager": False,
        "model": "chat.llm.openai.OpenAIChatModel",
    }


def test_env_example_documents_every_setting():
    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    required = {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL",
                "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "FIREBASE_CREDENTIALS_PATH",
                "EMAIL_BACKEND", "EMAIL_HOST", "ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS",
                "RATE_AUTH", "RATE_CHAT"}
    assert required <= documented
    settings_text = (ROOT / "numerai" / "settings.py").read_text()
    import re

    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', settings_text))
    read |= set(re.findall(r'env_(?:bool|list)\("([A-Z_]+)"', settings_text))
    read |= {f"RATE_{scope.upper()}" for scope in re.findall(r'env_rate\("(\w+)"', settings_text)}
    assert read - documented - {"NUMERAI_VAR_DIR", "EMBEDDED_SCHEDULER"} == set()
