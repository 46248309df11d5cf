"""Documents from templates a lawyer can read: the agreement (porozumienie) and the
reference (opinia). The templates live in ``matching/documents/*.txt``; their syntax is
explained at the top of ``porozumienie.txt``. Pure: text in, blocks out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from matching.domain.agreements import WRITTEN_FORM_AFTER_DAYS
from matching.domain.people import GuardianRole

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
CONDITION = re.compile(r"^\[\[jeśli (nie )?([a-z_]+)\]\]$")
END = "[[koniec]]"


class Kind(StrEnum):
    TITLE = "title"
    SUBTITLE = "subtitle"
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"
    SIGNATURES = "signatures"


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str

    @property
    def labels(self) -> list[str]:
        """A signature line's labels, one per signature."""
        return [label.strip() for label in self.text.split("|")]


class TemplateError(ValueError):
    pass


def render_template(
    template: str, values: dict[str, str], conditions: dict[str, bool]
) -> list[Block]:
    """The template's blocks with the conditional parts chosen and the placeholders filled.
    A placeholder or condition the template uses and the caller does not give is an error,
    so a template edit cannot print an empty gap in a legal document."""
    blocks: list[Block] = []
    paragraph: list[str] = []
    shown: list[bool] = []

    def close_paragraph() -> None:
        if paragraph:
            blocks.append(Block(Kind.PARAGRAPH, " ".join(paragraph)))
            paragraph.clear()

    for number, raw in enumerate(template.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("%"):
            continue
        condition = CONDITION.match(line)
        if condition:
            negated, name = condition.groups()
            if name not in conditions:
                raise TemplateError(f"line {number}: unknown condition {name!r}")
            shown.append(conditions[name] != bool(negated))
            continue
        if line == END:
            if not shown:
                raise TemplateError(f"line {number}: [[koniec]] without [[jeśli ...]]")
            close_paragraph()
            shown.pop()
            continue
        if not all(shown):
            continue
        if not line:
            close_paragraph()
            continue
        for prefix, kind in (
            ("### ", Kind.SUBTITLE),
            ("## ", Kind.HEADING),
            ("# ", Kind.TITLE),
            ("- ", Kind.ITEM),
            ("___", Kind.SIGNATURES),
        ):
            if line.startswith(prefix):
                close_paragraph()
                blocks.append(Block(kind, _fill(line[len(prefix) :].strip(), values, number)))
                break
        else:
            paragraph.append(_fill(line, values, number))
    if shown:
        raise TemplateError("a [[jeśli ...]] is not closed by [[koniec]]")
    close_paragraph()
    return blocks


def _fill(text: str, values: dict[str, str], number: int) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise TemplateError(f"line {number}: unknown placeholder {{{{{name}}}}}")
        return values[name]

    return PLACEHOLDER.sub(value, text)


def pl_date(day: date) -> str:
    return day.strftime("%d.%m.%Y")


@dataclass(frozen=True)
class AgreementFacts:
    """What the agreement document says, gathered from matching's rows."""

    concluded_on: date
    organisation: str | None  # the branch's district library
    branch_name: str
    branch_address: str | None
    opening_hours: str | None
    volunteer_name: str
    guardian_name: str | None
    guardian_role: GuardianRole
    scope: str
    starts_on: date
    ends_on: date
    working_hours: str | None
    reimbursed_costs: str | None


def agreement_values(facts: AgreementFacts) -> tuple[dict[str, str], dict[str, bool]]:
    """The template's placeholders and conditions for one agreement."""
    days = (facts.ends_on - facts.starts_on).days + 1
    address = facts.branch_address or "adres placówki według rejestru programu"
    branch = f"placówka {facts.branch_name}, {address}"
    hours = facts.working_hours or (
        f"w godzinach otwarcia placówki ({facts.opening_hours})"
        if facts.opening_hours
        else "w godzinach otwarcia placówki"
    )
    values = {
        "data_zawarcia": pl_date(facts.concluded_on),
        "korzystajacy": f"{facts.organisation} – {branch}" if facts.organisation else branch,
        "placowka": facts.branch_name,
        "adres": address,
        "wolontariusz": facts.volunteer_name,
        "opiekun": facts.guardian_name or "……………………………………",
        "zakres": facts.scope.rstrip("."),
        "od": pl_date(facts.starts_on),
        "do": pl_date(facts.ends_on),
        "liczba_dni": str(days),
        "godziny": hours,
        "koszty": (facts.reimbursed_costs or "").rstrip("."),
    }
    conditions = {
        "pelnoletni": facts.guardian_role is GuardianRole.NONE,
        "zgoda_opiekuna": facts.guardian_role is GuardianRole.WRITTEN_CONSENT,
        "opiekun_zawiera": facts.guardian_role is GuardianRole.CONCLUDES_AGREEMENT,
        "nnw": days <= WRITTEN_FORM_AFTER_DAYS,
        "forma_pisemna": days > WRITTEN_FORM_AFTER_DAYS,
        "koszty": bool(facts.reimbursed_costs),
    }
    return values, conditions


@dataclass(frozen=True)
class ReferenceFacts:
    issued_on: date
    organisation: str | None
    branch_name: str
    volunteer_name: str
    scope: str
    starts_on: date
    ends_on: date
    text: str


def reference_values(facts: ReferenceFacts) -> tuple[dict[str, str], dict[str, bool]]:
    branch = f"placówka {facts.branch_name}"
    return {
        "data_wydania": pl_date(facts.issued_on),
        "korzystajacy": f"{facts.organisation} – {branch}" if facts.organisation else branch,
        "wolontariusz": facts.volunteer_name,
        "zakres": facts.scope.rstrip("."),
        "od": pl_date(facts.starts_on),
        "do": pl_date(facts.ends_on),
        "tresc": facts.text.strip(),
    }, {}
