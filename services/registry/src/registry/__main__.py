import asyncio
import sys

from registry.app import build_service
from shared.cli import run_cli


async def announce_subjects() -> int:
    """Emit every staff member's and trainer's user id once more (for a new consumer)."""
    from registry.staff import announce_subjects as announce

    service = build_service()
    try:
        async with service.unit_of_work() as uow:
            told = await announce(uow)
    finally:
        await service.database.dispose()
    print(f"registry: {told} user ids announced; the events wait in the outbox for the service")
    return 0


async def announce_assignments() -> int:
    """Emit every current coordinator and trainer assignment once more, so that every
    service's copy of them (shared.staff_scope) catches up."""
    from registry.assignments import announce_assignments as announce

    service = build_service()
    try:
        async with service.unit_of_work() as uow:
            told = await announce(uow)
    finally:
        await service.database.dispose()
    print(f"registry: {told} assignments announced; the events wait in the outbox for the service")
    return 0


# `python -m registry seed` loads the demo data; `python -m registry announce-subjects`
# re-announces linked user ids, `announce-assignments` the current assignments; everything
# else is the shared CLI.
if sys.argv[1:2] == ["seed"]:
    from registry.seed import main

    raise SystemExit(main(sys.argv[2:]))
if sys.argv[1:2] == ["announce-assignments"]:
    raise SystemExit(asyncio.run(announce_assignments()))
if sys.argv[1:2] == ["announce-subjects"]:
    raise SystemExit(asyncio.run(announce_subjects()))
raise SystemExit(run_cli(build_service))
