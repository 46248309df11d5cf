"""Registry's pure model and rules: no I/O, no framework."""

from __future__ import annotations


class RuleViolation(Exception):
    """A command that breaks one of the programme's rules; the message says how to fix it."""

    def __init__(self, detail: str, *, title: str = "Not allowed by the programme's rules") -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail


class NotFound(Exception):
    """A command or query named something the registry does not hold."""

    def __init__(self, detail: str, *, title: str = "Not found") -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail
