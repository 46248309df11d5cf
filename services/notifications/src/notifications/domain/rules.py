"""When and how messages go out: quiet hours, back-off, reminders, idempotency keys."""

from __future__ import annotations

import hashlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
QUIET_FROM = time(22, 0)
QUIET_UNTIL = time(8, 0)

CHANNELS = ("email", "sms", "in_app")
LANGUAGES = ("pl", "en")


def in_quiet_hours(moment: datetime) -> bool:
    """22:00-08:00 in Warsaw: no SMS then."""
    local = moment.astimezone(WARSAW).time()
    return local >= QUIET_FROM or local < QUIET_UNTIL


def end_of_quiet_hours(moment: datetime) -> datetime:
    """The moment an SMS held back at ``moment`` may go: the next 08:00 in Warsaw
    (``moment`` itself when it is not in quiet hours)."""
    if not in_quiet_hours(moment):
        return moment
    local = moment.astimezone(WARSAW)
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=WARSAW)


def retry_delay_s(attempt: int, *, first_s: float, max_s: float) -> float:
    """Exponential back-off: first_s, 2*first_s, 4*first_s, ... capped at max_s."""
    return float(min(first_s * 2 ** max(attempt - 1, 0), max_s))


def reminder_due(starts_at: datetime, hours_before: int) -> datetime:
    return starts_at - timedelta(hours=hours_before)


def unfilled_check_due(starts_at: datetime, days_before: int) -> datetime:
    return starts_at - timedelta(days=days_before)


DIGEST_HOUR = time(7, 0)

# What a coordinator who prefers a daily digest gets in it instead of one by one.
DIGESTIBLE = frozenset(
    {
        "application_submitted",
        "application_withdrawn",
        "no_show",
        "reference_requested",
        "task_unfilled",
    }
)


def next_digest_at(moment: datetime) -> datetime:
    """The next 07:00 in Warsaw after ``moment``."""
    local = moment.astimezone(WARSAW)
    day = local.date() if local.time() < DIGEST_HOUR else local.date() + timedelta(days=1)
    return datetime.combine(day, DIGEST_HOUR, tzinfo=WARSAW)


def idempotency_key(cause: str, recipient_ref: str, channel: str) -> str:
    """One message per (cause, recipient, channel): the cause is an event id or a reminder's
    occurrence, so a redelivered event or a re-run reminder finds the message already there."""
    return f"{cause}|{recipient_ref}|{channel}"


def message_id_header(key: str, domain: str) -> str:
    """The email's Message-ID, derived from the idempotency key: a resend after a crash
    between the server's acceptance and our record carries the same id."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    return f"<{digest}@{domain}>"


def is_minor_copy_needed(template: str, has_guardian: bool) -> bool:
    return has_guardian and template in GUARDIAN_COPIED


# What concerns a minor's agreement and shifts: their guardian receives a copy.
GUARDIAN_COPIED = frozenset(
    {
        "application_accepted",
        "application_promoted",
        "assignment_confirmed",
        "shift_changed",
        "shift_cancelled",
        "shift_promoted",
        "shift_reminder",
    }
)

# Time-sensitive messages also go by SMS (with the person's consent).
SMS_TEMPLATES = frozenset({"shift_reminder", "shift_changed", "shift_cancelled", "proposal_made"})
