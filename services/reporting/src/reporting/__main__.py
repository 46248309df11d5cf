"""``python -m reporting [serve|migrate|rebuild [--chunk-size N]]``."""

import sys

if sys.argv[1:2] == ["rebuild"]:
    from reporting.rebuild import main

    raise SystemExit(main(sys.argv[2:]))

from reporting.app import build_service
from shared.cli import run_cli

raise SystemExit(run_cli(build_service))
