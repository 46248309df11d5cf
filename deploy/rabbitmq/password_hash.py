"""Print a RabbitMQ ``password_hash`` for definitions.json (rabbit_password_hashing_sha256).

    python deploy/rabbitmq/password_hash.py 's3cret'

RabbitMQ stores base64(salt + sha256(salt + password)) with a 4-byte random salt; the
same password gives a different hash each run, and every one of them is valid.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys


def password_hash(password: str, salt: bytes | None = None) -> str:
    salt = os.urandom(4) if salt is None else salt
    digest = hashlib.sha256(salt + password.encode("utf-8")).digest()
    return base64.b64encode(salt + digest).decode("ascii")


def verify(password: str, encoded: str) -> bool:
    raw = base64.b64decode(encoded)
    salt, digest = raw[:4], raw[4:]
    return hashlib.sha256(salt + password.encode("utf-8")).digest() == digest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python deploy/rabbitmq/password_hash.py PASSWORD")
    print(password_hash(sys.argv[1]))
