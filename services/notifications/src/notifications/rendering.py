"""Message texts from the Jinja2 templates in ``templates/<name>.txt``, translated per
language from the gettext catalogues (``jinja2.ext.i18n``, see ``notifications.i18n``).

Each template has a ``subject`` and a ``body`` block, and an ``sms`` block when the message
may also go by SMS. People edit the files; a test renders every one in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from notifications.domain.rules import LANGUAGES
from notifications.i18n import (
    is_whole,
    language_of,
    local_date,
    local_span,
    local_time,
    number,
    opening_hours,
    translations,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
I18N_EXTENSIONS = ["jinja2.ext.i18n"]


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    sms: str | None


def environment(language: str, directory: Path = TEMPLATES_DIR) -> Environment:
    """The templates as ``language`` reads them: its catalogue, its dates and numbers."""
    env = Environment(
        loader=FileSystemLoader(directory),
        undefined=StrictUndefined,
        autoescape=False,  # plain-text messages
        keep_trailing_newline=False,
        extensions=I18N_EXTENSIONS,
    )
    # A text's line breaks in a template are layout, not part of the text to translate.
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["local"] = partial(local_time, language)
    env.filters["span"] = partial(local_span, language)
    env.filters["day"] = partial(local_date, language)
    env.filters["number"] = partial(number, language)
    env.filters["opening"] = partial(opening_hours, language)
    env.tests["whole"] = is_whole
    return env


class Renderer:
    def __init__(self, directory: Path = TEMPLATES_DIR) -> None:
        self._environments = {language: environment(language, directory) for language in LANGUAGES}
        self._directory = directory

    def template_names(self) -> list[str]:
        # Names starting with "_" are parts included by the messages, not messages.
        return sorted(
            path.stem for path in self._directory.glob("*.txt") if not path.stem.startswith("_")
        )

    def render(self, name: str, language: str, context: dict[str, Any]) -> Rendered:
        language = language_of(language)
        template = self._environments[language].get_template(f"{name}.txt")
        jinja_context = template.new_context(context)

        def block(block_name: str) -> str | None:
            render_block = template.blocks.get(block_name)
            if render_block is None:
                return None
            return "".join(render_block(jinja_context)).strip()

        subject = block("subject")
        body = block("body")
        if subject is None or body is None:
            raise ValueError(f"template {name}.txt needs a subject and a body block")
        return Rendered(subject=subject, body=body, sms=block("sms"))
