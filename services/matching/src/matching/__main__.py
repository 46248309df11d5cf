import sys

from matching.app import build_service
from shared.cli import run_cli

# `python -m matching seed` loads the demo data; everything else is the shared CLI.
if sys.argv[1:2] == ["seed"]:
    from matching.seed import main

    raise SystemExit(main(sys.argv[2:]))
raise SystemExit(run_cli(build_service))
