"""A throwaway PostgreSQL server for the tests and benchmarks: a fresh cluster in a temporary
folder, on a free loopback port, started with Debian's server binaries (as the ``postgres``
user when run as root: the server refuses to run as root)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER, PASSWORD = "tk", "s3cret-Pw"
"""The role the tests connect as, with a password (so that masking it can be checked)."""


def bindir() -> Path | None:
    """The folder of the newest installed server's binaries, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(os.path.realpath(pg_ctl)).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One running cluster. ``url(name)`` for a database made by ``new_database()``."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="tkanban-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        as_root = os.geteuid() == 0
        self._as = ["runuser", "-u", "postgres", "--"] if as_root else []
        if as_root:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o755)
        pwfile = self.root / "pw"
        pwfile.write_text("admin-pw\n")
        if as_root:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
                  "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}")
        self.start()
        self.psql(f"CREATE ROLE {USER} LOGIN CREATEDB PASSWORD '{PASSWORD}'")

    def _run(self, tool: str, *args: str) -> str:
        done = subprocess.run([*self._as, str(self.bin / tool), *args], capture_output=True,
                              text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stderr or done.stdout}")
        return done.stdout

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        if (self.bin.parent / "lib" / "pg_stat_statements.so").exists():
            options += " -c shared_preload_libraries=pg_stat_statements"  # see statements()
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                  options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self._run("psql", "-h", str(self.root), "-p", str(self.port), "-U", "postgres",
                         "-d", database, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql)

    def statements(self, database: str, user: str = USER) -> int:
        """How many statements ``user`` has run in ``database`` so far, as the server counts
        them (pg_stat_statements, where the server has it; else -1)."""
        try:
            self.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database)
        except RuntimeError:
            return -1
        return int(self.psql(
            "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON "
            f"d.oid = s.dbid WHERE d.datname = '{database}' AND s.userid = "
            f"(SELECT oid FROM pg_roles WHERE rolname = '{user}')", database))

    def new_database(self, owner: str = USER) -> str:
        name = f"board{next(self._names)}"
        self.psql(f"CREATE DATABASE {name} OWNER {owner}")
        return name

    def url(self, database: str, *, user: str = USER, password: str | None = PASSWORD) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start() -> PgServer | None:
    """A new server, or None where no server binaries are installed."""
    found = bindir()
    return PgServer(found) if found else None
