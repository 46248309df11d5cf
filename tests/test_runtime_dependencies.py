"""Each runtime image installs its application's locked dependencies and nothing a test needs.

The Dockerfile runs `uv sync --frozen --no-dev --package <application>`; `uv export` with
the same selection lists exactly what that installs, read from the lock without a network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

APPLICATIONS = ("registry", "matching", "notifications", "reporting", "console")

# Test and development tools: none of them belongs in an image.
NEVER_AT_RUNTIME = {
    "testcontainers",
    "pytest",
    "pypdf",
    "aiosmtpd",
    "playwright",
    "schemathesis",
    "honcho",
    "mypy",
    "ruff",
    "scipy",
}

# Heavy libraries only the application that draws with them may carry.
ONLY_WHERE_USED = {"matplotlib": {"reporting"}, "ortools": {"matching"}, "openpyxl": {"reporting"}}


def uv_command() -> list[str]:
    """`uv run` names its own binary in UV; otherwise the one on the PATH or the user's Python's."""
    found = os.environ.get("UV") or shutil.which("uv")
    return [found] if found else ["python3", "-m", "uv"]


def runtime_packages(application: str) -> set[str]:
    selection = ["--frozen", "--no-dev", "--package", application, "--no-emit-workspace"]
    output = ["--no-hashes", "--no-header", "--no-annotate"]
    exported = subprocess.run(
        [*uv_command(), "export", *selection, *output],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = set()
    for line in exported.splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==", line)
        if match:
            names.add(match.group(1).lower().replace("_", "-"))
    return names


@pytest.mark.parametrize("application", APPLICATIONS)
def test_the_runtime_image_carries_no_test_tools(application: str) -> None:
    packages = runtime_packages(application)
    assert "fastapi" in packages, "the export should list the application's dependencies"
    assert packages.isdisjoint(NEVER_AT_RUNTIME), packages & NEVER_AT_RUNTIME
    for heavy, allowed in ONLY_WHERE_USED.items():
        if application not in allowed:
            assert heavy not in packages, f"{application} would carry {heavy}"


def test_the_certificate_font_ships_with_matching() -> None:
    from matching.certificate_pdf import DEJAVU_SANS

    assert DEJAVU_SANS.is_file()
    assert (DEJAVU_SANS.parent / "LICENSE_DEJAVU").is_file()
