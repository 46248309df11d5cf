from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifications.testing import MailCatcher, SmsProvider
from shared.testing.platform import free_port

SMS_KEY = "test-sms-key"


@pytest.fixture
def smtp() -> Iterator[MailCatcher]:
    catcher = MailCatcher(free_port()).start()
    yield catcher
    catcher.stop()


@pytest.fixture
def sms() -> Iterator[SmsProvider]:
    provider = SmsProvider(free_port(), SMS_KEY).start()
    yield provider
    provider.stop()
