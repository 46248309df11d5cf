"""Cells safe to open in a spreadsheet program (CSV and XLSX exports).

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return,
which some programs skip before reading one of those) is taken for a formula by Excel,
LibreOffice and Google Sheets: a branch name like ``=HYPERLINK("http://...")`` would run
when a city officer opens the export. Such text gets a leading apostrophe, which the
programs show as text and do not evaluate (OWASP "CSV injection"). Numbers stay numbers:
a negative count is not text and is not touched.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
