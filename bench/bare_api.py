"""The anchor of ``bench.http_api``: a bare FastAPI endpoint that reads one row with asyncpg.

    python -m bench.bare_api --port P --dsn URL

What a service's list endpoint is at the least: uvicorn (one process, as the services run),
FastAPI, a pool of asyncpg connections, one indexed row read per request, JSON out. No
authentication, no unit of work, no ORM. It creates its one-row table if missing.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request

TABLE = "bench_bare_items"


def build_app(dsn: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
        async with pool.acquire() as connection:
            await connection.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} "
                "(id integer PRIMARY KEY, code text NOT NULL, name text NOT NULL)"
            )
            await connection.execute(
                f"INSERT INTO {TABLE} VALUES (1, 'WOLA-01', 'Biblioteka na Woli') "
                "ON CONFLICT DO NOTHING"
            )
        app.state.pool = pool
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/one")
    async def one(request: Request) -> dict[str, Any]:
        row = await request.app.state.pool.fetchrow(
            f"SELECT id, code, name FROM {TABLE} WHERE id = 1"
        )
        return dict(row)

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_api")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    args = parser.parse_args(argv)
    # As the services run: uvicorn's defaults (uvloop, httptools), no access log.
    uvicorn.run(
        build_app(args.dsn), host="127.0.0.1", port=args.port, log_config=None, access_log=False
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
