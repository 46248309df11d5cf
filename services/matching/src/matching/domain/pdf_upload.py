"""Is an uploaded file a PDF? Checked from its own bytes, not from what the browser says.

The service reads no PDF library at run time, so the check is structural: the header, the
end-of-file marker, and the cross-reference the trailer points to (where a reader starts).
A renamed image, a truncated download or a text file with a PDF header fails one of them.
"""

from __future__ import annotations

import re

MAX_SIGNED_COPY_BYTES = 5 * 1024 * 1024

HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
STARTXREF = re.compile(rb"startxref\s+([0-9]{1,10})\s+%%EOF")
# A classic table ("xref") or a cross-reference stream ("12 0 obj").
XREF_AT = re.compile(rb"xref|[0-9]{1,10}\s+[0-9]{1,5}\s+obj\b")
TAIL = 2048


class NotAPdf(ValueError):
    """Why the bytes are not a usable PDF: ``reason`` is a stable code for clients that say
    it in the person's language (empty, too_large, not_pdf, truncated, damaged)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def check_pdf(content: bytes, *, limit: int = MAX_SIGNED_COPY_BYTES) -> None:
    if not content:
        raise NotAPdf("empty", "the file is empty")
    if len(content) > limit:
        raise NotAPdf("too_large", f"the file is larger than {limit // (1024 * 1024)} MB")
    if not HEADER.match(content):
        raise NotAPdf("not_pdf", "the file is not a PDF (it does not start with %PDF-)")
    found = list(STARTXREF.finditer(content[-TAIL:]))
    if not found:
        raise NotAPdf("truncated", "the PDF has no end-of-file trailer: it is incomplete")
    offset = int(found[-1].group(1))
    if offset >= len(content) or not XREF_AT.match(content, offset):
        raise NotAPdf("damaged", "the PDF's trailer points to no cross-reference: it is damaged")
