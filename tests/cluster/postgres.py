"""A Postgres server of the test's own, for the test that restarts the database mid-stream.

The machine's Postgres (5432) serves every other test running meanwhile, so it is never
restarted; this one is Debian's ``postgresql`` package run by hand: ``initdb`` into a
temporary directory, ``pg_ctl`` on a free port of 127.0.0.1, trust authentication, and
``pg_ctl restart -m fast`` for the restart (what ``pg_ctlcluster <version> <name> restart``
runs for a cluster of /etc/postgresql). Postgres refuses to run as root: as root, the
programs run as the ``postgres`` user of the package.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from shared.testing.rabbit_cluster import ClusterUnavailable, free_ports

POSTGRES_LIB = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 60


def postgres_bin() -> Path:
    """The newest installed server's programs (initdb, pg_ctl)."""
    versions = sorted(
        (path for path in POSTGRES_LIB.glob("*/bin") if (path / "initdb").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    if not versions:
        raise ClusterUnavailable(
            "initdb is not installed: `apt-get install postgresql` (Debian) provides it"
        )
    return versions[-1]


@dataclass
class PrivatePostgres:
    """``start()`` a server of its own; ``restart()`` it; ``close()`` stops it and removes
    its data directory."""

    port: int = field(default_factory=lambda: free_ports(1)[0])
    directory: Path = field(
        default_factory=lambda: Path(tempfile.mkdtemp(prefix="volunteering-pg-"))
    )

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *arguments: str, timeout: float = START_TIMEOUT_S) -> str:
        """Run a program (as ``postgres`` when root); what it printed."""
        command = [str(postgres_bin() / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Files, not pipes: a server that kept a pipe open would make this wait forever.
        with tempfile.TemporaryFile("w+") as output:
            try:
                done = subprocess.run(
                    command, stdout=output, stderr=subprocess.STDOUT, timeout=timeout, check=False
                )
            except subprocess.TimeoutExpired as expired:
                raise ClusterUnavailable(f"{program} took over {timeout}s") from expired
            output.seek(0)
            said = output.read()
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ClusterUnavailable(f"{program} {' '.join(arguments)} failed: {said}\n{log}")
        return said

    def start(self) -> None:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as missing:
                raise ClusterUnavailable("no postgres user to run Postgres as") from missing
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--auth",
            "trust",
            "--username",
            "postgres",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
            "--no-sync",
        )
        self._start()

    def _options(self) -> str:
        # Its own port and socket directory; enough connections for three services' pools.
        return (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200"
        )

    def _start(self) -> None:
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
            "-o", self._options(),
        )  # fmt: skip

    def restart(self) -> None:
        """Stop (fast: open connections are closed, transactions rolled back) and start."""
        self._run(
            "pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", "fast", "-w",
            "-o", self._options(),
        )  # fmt: skip

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(ClusterUnavailable):
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.directory, ignore_errors=True)
