"""``python -m notifications.providers``: local stand-ins for the SMTP server and the SMS
provider, for ``make run`` on a machine without Mailpit. Prints what it receives."""

from __future__ import annotations

import argparse
import json
import re
import signal
import threading
import time

from notifications.settings import NotificationsSettings
from notifications.testing import MailCatcher, ReceivedMail, SmsProvider


def main() -> int:
    settings = NotificationsSettings()
    parser = argparse.ArgumentParser(prog="python -m notifications.providers")
    parser.add_argument("--smtp-port", type=int, default=settings.smtp_port)
    parser.add_argument("--sms-port", type=int, default=9090)
    args = parser.parse_args()

    def show(mail: ReceivedMail) -> None:
        # The links too: locally they are the way into the console's volunteer pages.
        links = re.findall(r"https?://\S+", mail.body)
        shown = {
            "mail_to": mail.to,
            "subject": mail.subject,
            "message_id": mail.message_id,
            "links": links,
        }
        print(json.dumps(shown, ensure_ascii=False), flush=True)

    catcher = MailCatcher(args.smtp_port)
    catcher.on_data(show)
    catcher.start()
    sms = SmsProvider(args.sms_port, settings.sms_api_key).start()
    print(f"SMTP on 127.0.0.1:{args.smtp_port}, SMS API on {sms.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    seen = 0
    try:
        while not stop.is_set():
            for message in sms.received[seen:]:
                print(json.dumps({"sms": message}, ensure_ascii=False), flush=True)
            seen = len(sms.received)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        catcher.stop()
        sms.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
