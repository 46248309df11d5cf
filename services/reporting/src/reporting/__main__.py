from shared.cli import run_cli

from reporting.app import build_service

raise SystemExit(run_cli(build_service))
