"""Message texts from the Jinja2 templates in ``templates/<language>/<name>.txt``.

Each template has a ``subject`` and a ``body`` block, and an ``sms`` block when the message
may also go by SMS. People edit the files; a test renders every one in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from notifications.domain.rules import LANGUAGES, WARSAW

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str | None


def _local(value: datetime | date | str | None) -> str:
    """A moment as people in Warsaw read it: 24.11.2026 17:30."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(WARSAW).strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


class Renderer:
    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        self._environment = Environment(
            loader=FileSystemLoader(directory),
            undefined=StrictUndefined,
            autoescape=False,  # plain-text messages
            keep_trailing_newline=False,
        )
        self._environment.filters["local"] = _local
        self._directory = directory

    def template_names(self) -> list[str]:
        # Names starting with "_" are parts included by the messages, not messages.
        return sorted(
            path.stem
            for path in (self._directory / "pl").glob("*.txt")
            if not path.stem.startswith("_")
        )

    def render(self, name: str, language: str, context: dict[str, Any]) -> Rendered:
        language = language if language in LANGUAGES else "pl"
        template = self._environment.get_template(f"{language}/{name}.txt")
        jinja_context = template.new_context(context)

        def block(block_name: str) -> str | None:
            render_block = template.blocks.get(block_name)
            if render_block is None:
                return None
            return "".join(render_block(jinja_context)).strip()

        subject = block("subject")
        body = block("body")
        if subject is None or body is None:
            raise ValueError(f"template {language}/{name}.txt needs a subject and a body block")
        return Rendered(subject=subject, body=body, sms=block("sms"))
