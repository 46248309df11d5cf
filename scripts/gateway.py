"""Run the nginx gateway as a local process with the template docker-compose uses.

    python scripts/gateway.py                 # 127.0.0.1:8080 in front of the local services
    python scripts/gateway.py --check         # render and let `nginx -t` check it, then exit

Upstreams, port and limits come from the environment (the same names the template uses),
with the local defaults below. The rendered configuration and nginx's temporary files live
under ``--prefix`` (default ``.run/gateway``).
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "deploy" / "gateway"
LOCAL_DEFAULTS = {
    "GATEWAY_PORT": "8080",
    "GATEWAY_RATE_PER_S": "30",
    "GATEWAY_BURST": "60",
    "GATEWAY_ACCESS_LOG": "/dev/stdout",
    # The services' /docs, /redoc and /openapi.json through the gateway: "on" to serve them.
    "GATEWAY_API_DOCS": "off",
    "UPSTREAM_REGISTRY": "127.0.0.1:8001",
    "UPSTREAM_MATCHING": "127.0.0.1:8002",
    "UPSTREAM_NOTIFICATIONS": "127.0.0.1:8003",
    "UPSTREAM_REPORTING": "127.0.0.1:8004",
    "UPSTREAM_CONSOLE": "127.0.0.1:8005",
    # Locally the console's development issuer stands in for Keycloak.
    "UPSTREAM_AUTH": "127.0.0.1:8005",
}
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(template: str, values: dict[str, str]) -> str:
    """Fill ``${NAME}`` placeholders; a missing one is an error, not an empty string."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - values.keys())
    if missing:
        raise SystemExit(f"gateway: no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template)


def prepare(prefix: Path, values: dict[str, str]) -> Path:
    for folder in ("conf.d", "temp"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    template = (GATEWAY / "templates" / "default.conf.template").read_text()
    (prefix / "conf.d" / "default.conf").write_text(render(template, values))
    # nginx started by root hands requests to workers running as "nobody", who could not
    # write request bodies under this prefix: a local gateway's workers run as its owner.
    owner = pwd.getpwuid(os.geteuid()).pw_name
    main_config = (GATEWAY / "nginx.local.conf").read_text()
    (prefix / "nginx.conf").write_text(f"user {owner};\n{main_config}")
    return prefix / "nginx.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (str(path) for path in (Path("/usr/sbin/nginx"),) if path.exists()), None
    )
    if found is None:
        raise SystemExit(
            "gateway: nginx is not installed. On Debian: apt-get install nginx-light "
            "(make test and make run install it when they run as root)"
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(prog="python scripts/gateway.py")
    parser.add_argument("--prefix", type=Path, default=ROOT / ".run" / "gateway")
    parser.add_argument("--check", action="store_true", help="check the configuration, then exit")
    args = parser.parse_args()
    values = {**LOCAL_DEFAULTS, **{k: v for k, v in os.environ.items() if k in LOCAL_DEFAULTS}}
    prefix = args.prefix.resolve()
    config = prepare(prefix, values)
    command = [nginx_binary(), "-p", f"{prefix}/", "-c", str(config)]
    if args.check:
        return subprocess.run([*command, "-t", "-q"], check=False).returncode
    print(f"gateway on http://127.0.0.1:{values['GATEWAY_PORT']}", flush=True)
    os.execv(command[0], [*command, "-g", "daemon off;"])
    return 0  # not reached: nginx replaced this process


if __name__ == "__main__":
    sys.exit(main())
