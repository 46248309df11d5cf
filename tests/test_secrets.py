"""Secrets fail closed: outside development (ENVIRONMENT=development) every service and the
console refuse to start with a known default, a placeholder, a short secret or HS256 tokens."""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from shared.auth import TokenVerifier, generate_key_pair, mint_token
from shared.problems import Problem
from shared.settings import (
    KNOWN_DEFAULT_SECRETS,
    InsecureSecrets,
    ServiceSettings,
    insecure_secrets,
    refuse_insecure,
)

SERVICES = ("registry", "matching", "notifications", "reporting")
# Each service's own secrets besides its database password (env names without the prefix).
OWN_SECRETS = {
    "registry": (),
    "matching": ("PROPOSAL_LINK_SECRET",),
    "notifications": ("PROPOSAL_LINK_SECRET", "VOLUNTEER_LINK_SECRET", "SMS_API_KEY"),
    "reporting": (),
}
STRONG = "Qx7-" + secrets.token_urlsafe(40)
BAD_VALUES = {
    "a known default": "local-development-proposal-link-secret",
    "a placeholder (CHANGE-ME)": "CHANGE-ME-before-going-live-please-0123456789",
    "shorter than 32 bytes": "s3cr3t-but-short",
}


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Not development: ENVIRONMENT unset, and no variable of a service set from outside."""
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    for name in list(os.environ):
        if name.split("_", 1)[0] in {service.upper() for service in (*SERVICES, "console")}:
            monkeypatch.delenv(name)
    yield


def strong_env(service: str) -> dict[str, str]:
    prefix = f"{service.upper()}_"
    values = {
        "DATABASE_URL": f"postgresql+asyncpg://{service}:{STRONG}@db:5432/volunteering",
        **{name: STRONG for name in OWN_SECRETS[service]},
    }
    return {prefix + key: value for key, value in values.items()}


def build(service: str) -> object:
    return importlib.import_module(f"{service}.app").build_service()


def test_the_rule_names_each_kind_of_bad_secret_and_never_its_value() -> None:
    problems = insecure_secrets(
        {
            "A": "local-development-secret-not-for-production",
            "B": "change-me",
            "C": "x" * 20 + "Change-Me" + "x" * 20,
            "D": "short",
            "E": STRONG,
            "F": None,
        },
        known_defaults=["registry"],
    )
    assert problems == [
        "A: a known default",
        "B: a placeholder (CHANGE-ME)",
        "C: a placeholder (CHANGE-ME)",
        "D: shorter than 32 bytes",
    ]
    assert insecure_secrets({"G": "registry"}, known_defaults=["registry"]) == [
        "G: a known default"
    ]
    with pytest.raises(InsecureSecrets) as refused:
        refuse_insecure({"A": "short-but-secret-value"}, environ={})
    assert "short-but-secret-value" not in str(refused.value)
    refuse_insecure({"A": "short"}, hmac_tokens=True, environ={"ENVIRONMENT": "development"})


def test_the_makefiles_development_secret_is_a_known_default() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    default = makefile.split("DEV_AUTH_SECRET ?= ", 1)[1].split("\n", 1)[0].strip()
    assert default in KNOWN_DEFAULT_SECRETS


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_with_strong_secrets_outside_development(
    service: str, production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in strong_env(service).items():
        monkeypatch.setenv(name, value)
    assert build(service) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_refuses_its_defaults_outside_development(service: str, production: None) -> None:
    with pytest.raises(InsecureSecrets) as refused:
        build(service)
    assert "DATABASE_URL (password): a known default" in str(refused.value)


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
@pytest.mark.parametrize("service", SERVICES)
def test_a_service_refuses_each_kind_of_bad_secret(
    service: str, kind: str, production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"{service.upper()}_"
    for name in ("DATABASE_URL (password)", *OWN_SECRETS[service]):
        for env_name, value in strong_env(service).items():
            monkeypatch.setenv(env_name, value)
        bad = BAD_VALUES[kind]
        if name == "DATABASE_URL (password)":
            monkeypatch.setenv(f"{prefix}DATABASE_URL", f"postgresql+asyncpg://u:{bad}@db/v")
        else:
            monkeypatch.setenv(prefix + name, bad)
        with pytest.raises(InsecureSecrets) as refused:
            build(service)
        assert f"{prefix}{name}: {kind}" in str(refused.value)
        assert bad not in str(refused.value)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_refuses_hs256_tokens_outside_development(
    service: str, production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"{service.upper()}_"
    for name, value in strong_env(service).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv(f"{prefix}AUTH_SHARED_SECRET", STRONG)
    with pytest.raises(InsecureSecrets, match="HS256"):
        build(service)
    monkeypatch.delenv(f"{prefix}AUTH_SHARED_SECRET")
    monkeypatch.setenv(f"{prefix}AUTH_ALGORITHMS", '["RS256", "HS256"]')
    with pytest.raises(InsecureSecrets, match="HS256"):
        build(service)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_starts_on_its_defaults_in_development(
    service: str, production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.setenv(f"{service.upper()}_AUTH_SHARED_SECRET", "short")
    assert build(service) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_the_process_exits_before_serving(service: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "ENVIRONMENT"}
    env[f"{service.upper()}_HTTP_PORT"] = "1"  # it never gets as far as listening
    finished = subprocess.run(
        [sys.executable, "-m", service], env=env, capture_output=True, timeout=60, check=False
    )
    assert finished.returncode != 0
    assert b"refusing to start outside development" in finished.stderr


async def test_hs256_tokens_are_refused_outside_development_even_if_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = ServiceSettings(
        service_name="registry",
        database_url="postgresql+asyncpg://registry:registry@db/volunteering",
        http_port=1,
        auth_shared_secret=STRONG,
        auth_public_key=generate_key_pair()[1],
    )
    defaults = ServiceSettings.model_fields
    token = mint_token(
        STRONG,
        subject="someone",
        roles=["city_admin"],
        issuer=str(defaults["auth_issuer"].default),
        audience=str(defaults["auth_audience"].default),
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    monkeypatch.setenv("ENVIRONMENT", "development")
    assert (await TokenVerifier(settings).verify(token)).subject == "someone"
    monkeypatch.delenv("ENVIRONMENT")
    with pytest.raises(Problem) as refused:
        await TokenVerifier(settings).verify(token)
    assert refused.value.status == 401
    assert "HMAC-signed tokens are not accepted" in refused.value.detail


CONSOLE_SECRETS = ("SESSION_SECRET", "VOLUNTEER_LINK_SECRET")


def console_env() -> dict[str, str]:
    return {
        "CONSOLE_DATABASE_URL": f"postgresql+asyncpg://console:{STRONG}@db:5432/volunteering",
        **{f"CONSOLE_{name}": STRONG for name in CONSOLE_SECRETS},
    }


def build_console() -> object:
    from console.app import build_app
    from console.settings import ConsoleSettings

    return build_app(ConsoleSettings())


def test_the_console_starts_with_strong_secrets_outside_development(
    production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in console_env().items():
        monkeypatch.setenv(name, value)
    assert build_console() is not None


@pytest.mark.parametrize("kind", sorted(BAD_VALUES))
def test_the_console_refuses_each_kind_of_bad_secret(
    kind: str, production: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = BAD_VALUES[kind]
    for name in ("DATABASE_URL (password)", *CONSOLE_SECRETS):
        for env_name, value in console_env().items():
            monkeypatch.setenv(env_name, value)
        if name == "DATABASE_URL (password)":
            monkeypatch.setenv("CONSOLE_DATABASE_URL", f"postgresql+asyncpg://u:{bad}@db/v")
        else:
            monkeypatch.setenv(f"CONSOLE_{name}", bad)
        with pytest.raises(InsecureSecrets) as refused:
            build_console()
        assert f"CONSOLE_{name}: {kind}" in str(refused.value)
        assert bad not in str(refused.value)


def test_the_console_refuses_development_sign_in_outside_development(
    production: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in console_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CONSOLE_DEV_SIGN_IN", "true")
    monkeypatch.setenv("CONSOLE_DEV_SIGNING_KEY_FILE", str(tmp_path / "dev-key.pem"))
    with pytest.raises(InsecureSecrets, match="CONSOLE_DEV_SIGN_IN"):
        build_console()
    # In development the same settings (and the defaults) are fine.
    monkeypatch.setenv("ENVIRONMENT", "development")
    monkeypatch.delenv("CONSOLE_SESSION_SECRET")
    assert build_console() is not None


def test_the_console_process_exits_before_serving(production: None) -> None:
    env = {key: value for key, value in os.environ.items() if key != "ENVIRONMENT"}
    env.update(
        CONSOLE_HTTP_PORT="1",
        CONSOLE_SESSION_SECRET="change-me",
        CONSOLE_VOLUNTEER_LINK_SECRET=STRONG,
    )
    finished = subprocess.run(
        [sys.executable, "-m", "console"], env=env, capture_output=True, timeout=60, check=False
    )
    assert finished.returncode != 0
    assert b"refusing to start outside development" in finished.stderr
    assert b"CONSOLE_SESSION_SECRET: a placeholder" in finished.stderr
