"""What a stored copy and a log line may keep.

- The "my volunteering" link opens a volunteer's pages without a password: it is a
  credential, so the copy kept of a sent message has a placeholder in its place (the
  person got the link; the record does not need it).
- A provider's answer may repeat the recipient's address ("550 <ola@example.org>: no
  such mailbox"): the delivery log and the message's last answer keep the code and the
  words, with addresses and numbers replaced.
"""

from __future__ import annotations

import re

LINK_PLACEHOLDER = "[link usunięty / link removed]"
_LINK = re.compile(r"\S+/wolontariusz/wejscie\?t=\S+")
_EMAIL = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ]{7,14}[0-9]")
# The same pattern for Postgres, for redacting in an UPDATE.
LINK_SQL = r"\S+/wolontariusz/wejscie\?t=\S+"


def without_links(text: str | None) -> str | None:
    """``text`` with each "my volunteering" link replaced by a placeholder."""
    if text is None:
        return None
    return _LINK.sub(LINK_PLACEHOLDER, text)


def without_contacts(text: str | None) -> str | None:
    """``text`` without e-mail addresses or phone numbers (a provider's answer, say)."""
    if text is None:
        return None
    return _PHONE.sub("[numer]", _EMAIL.sub("[adres]", text))
