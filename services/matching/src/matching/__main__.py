from matching.app import build_service
from shared.cli import run_cli

raise SystemExit(run_cli(build_service))
