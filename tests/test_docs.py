"""The documentation lives in the repository, and its generated parts equal the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from shared import docs
from shared.bootstrap import SERVICES

ROOT = Path(__file__).resolve().parents[1]
SKIPPED_DIRS = {".git", ".venv", "node_modules", ".run", ".pytest_cache", ".mypy_cache"}
# [text](target) and [text]: target, leaving out images' remote sources and code spans.
LINK = re.compile(r"(?<!\\)\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def markdown_files() -> list[Path]:
    return sorted(
        path for path in ROOT.rglob("*.md") if not SKIPPED_DIRS & set(path.relative_to(ROOT).parts)
    )


def links_of(path: Path) -> list[str]:
    text = CODE.sub("", path.read_text())
    return LINK.findall(text) + REFERENCE.findall(text)


def broken_links(path: Path) -> list[str]:
    """Links that leave the repository or point at nothing (web links are not followed)."""
    broken = []
    for target in links_of(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http(s), mailto: outside by design; an anchor within the page
        relative = unquote(target.split("#", 1)[0])
        resolved = (path.parent / relative).resolve()
        if not resolved.is_relative_to(ROOT):
            broken.append(f"{target} (outside the repository)")
        elif not resolved.exists():
            broken.append(f"{target} (no such file)")
    return broken


def test_the_repository_has_markdown_to_check() -> None:
    files = {path.relative_to(ROOT).as_posix() for path in markdown_files()}
    assert {"README.md", "docs/architecture.md", "docs/contracts.md"} <= files


@pytest.mark.parametrize(
    "path", markdown_files(), ids=lambda path: path.relative_to(ROOT).as_posix()
)
def test_every_link_stays_inside_the_repository_and_resolves(path: Path) -> None:
    assert broken_links(path) == []


def test_the_link_check_finds_links_that_leave_or_point_at_nothing(tmp_path: Path) -> None:
    page = ROOT / "docs" / "architecture.md"
    sample = (
        "[out](../../elsewhere/CONTRACTS.md) [gone](missing.md) [ok](contracts.md) "
        "[web](https://example.org) [here](#events) `[code](nowhere.md)`\n"
    )
    probe = page.with_name("link-probe.md")
    try:
        probe.write_text(sample)
        assert broken_links(probe) == [
            "../../elsewhere/CONTRACTS.md (outside the repository)",
            "missing.md (no such file)",
        ]
    finally:
        probe.unlink()


@pytest.mark.parametrize("document", sorted(docs.MARKDOWN_PARTS))
def test_generated_parts_equal_the_catalogue(document: str) -> None:
    catalogue = json.loads(docs.CATALOGUE.read_text())
    text = (docs.DOCS / document).read_text()
    assert text == docs.render_markdown(document, text, catalogue), (
        f"docs/{document} is stale: run `make docs` and commit the result"
    )


def test_the_diagram_shows_every_consumed_event_from_its_producer() -> None:
    catalogue = json.loads(docs.CATALOGUE.read_text())
    routes = {route.event_type: route for route in docs.event_routes(catalogue)}
    registered = routes["pl.waw.portal.volunteer.registered.v1"]
    assert (registered.producer, registered.consumers) == ("portal", ("matching",))
    assert "matching" in routes["pl.waw.volunteering.registry.coordinator.assigned.v1"].consumers
    diagram = docs.mermaid_flow(routes.values())
    assert 'portal -- "volunteer.erasure_requested<br/>' in diagram


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_openapi_document_matches_the_code(service: str) -> None:
    committed = docs.DOCS / "openapi" / f"{service}.json"
    assert committed.read_text() == docs.openapi_document(service), (
        f"docs/openapi/{service}.json is stale: run `make docs` and commit the result"
    )
