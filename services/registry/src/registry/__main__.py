import sys

from registry.app import build_service
from shared.cli import run_cli

# `python -m registry seed` loads the demo data; everything else is the shared CLI.
if sys.argv[1:2] == ["seed"]:
    from registry.seed import main

    raise SystemExit(main(sys.argv[2:]))
raise SystemExit(run_cli(build_service))
