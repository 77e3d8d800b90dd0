"""Real Orderly processes for fault tests: an embedded PostgreSQL in a throwaway data directory,
`orderly serve` and `orderly worker` as child processes that a test may SIGKILL and restart.

Each process runs in its own session, so that killing one (with everything it spawned) never
touches the others; `stop` ends all of them and the database, whatever state they are in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.server_process import (
    Server,
    orderly_command,
    orderly_env,
    run_orderly,
    start_server,
)

from orderly.kit.db import Database
from orderly.migrate import upgrade_database
from tests.factories import Org, make_org

API_WORKERS = 2
WORKER_HEARTBEAT_SECONDS = 2.0


@dataclass
class Cluster:
    data_dir: Path
    env: dict[str, str]
    database_url: str
    api_key: str
    org_id: int
    org_slug: str
    server: Server | None = None
    worker: subprocess.Popen[bytes] | None = None
    restarts: dict[str, int] = field(default_factory=lambda: {"api": 0, "worker": 0})

    @property
    def base_url(self) -> str:
        assert self.server is not None, "the API is not running"
        return self.server.base_url

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def org(self) -> Org:
        """The cluster's organization and key, for tests/factories.py on `database_url`."""
        return Org(id=self.org_id, slug=self.org_slug, key=self.api_key)

    def log(self, name: str) -> Path:
        return self.data_dir / f"{name}.log"

    # --- the API ----------------------------------------------------------------------------

    def start_api(self) -> None:
        self.server = start_server(
            data_dir=self.data_dir, workers=API_WORKERS, log_path=self.log("api"), env=self.env
        )

    def kill_api(self) -> None:
        """SIGKILL the uvicorn master and its workers (the whole process group)."""
        if self.server is not None:
            _kill_group(self.server.process)
            self.server = None

    def restart_api(self) -> None:
        self.kill_api()
        self.start_api()
        self.restarts["api"] += 1

    # --- the job worker ---------------------------------------------------------------------

    def start_worker(self) -> None:
        with self.log("worker").open("ab") as log:
            self.worker = subprocess.Popen(
                [*orderly_command(), "worker", "--concurrency", "2"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill_worker(self) -> None:
        if self.worker is not None:
            _kill_group(self.worker)
            self.worker = None

    def restart_worker(self) -> None:
        self.kill_worker()
        self.start_worker()
        self.restarts["worker"] += 1

    # --- the database -----------------------------------------------------------------------

    def stop_database(self) -> None:
        run_orderly(["db", "stop"], env=self.env)

    def start_database(self) -> None:
        """`orderly db url` starts the embedded PostgreSQL again, on the same socket."""
        url = run_orderly(["db", "url"], env=self.env).strip()
        assert url == self.database_url, (url, self.database_url)

    def stop(self) -> None:
        """End every process of the cluster, however the test went."""
        self.kill_api()
        self.kill_worker()
        with contextlib.suppress(Exception):
            self.stop_database()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@contextlib.asynccontextmanager
async def running_cluster(*, with_worker: bool) -> AsyncIterator[Cluster]:
    """A migrated database with one organization and an admin key, the API and maybe a worker.

    The database is started by `orderly db url` in a session of its own, so that killing the
    API's process group never takes PostgreSQL down with it. The schema, the organization and
    its key are made in this process, as `orderly migrate`, `org create` and `api-key create`
    would: each of those would pay a Python start of its own.
    """
    # A short path: PostgreSQL's socket lives in the data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="orderly-e2e-"))
    env = orderly_env(data_dir)
    env["ORDERLY_ALLOW_PRIVATE_URLS"] = "true"  # the webhook receiver listens on 127.0.0.1
    # Killed workers are found dead after three silent heartbeats: seconds, not half a minute.
    env["ORDERLY_WORKER_HEARTBEAT_SECONDS"] = str(WORKER_HEARTBEAT_SECONDS)
    cluster: Cluster | None = None
    try:
        database_url = (await asyncio.to_thread(run_orderly, ["db", "url"], env=env)).strip()
        await asyncio.to_thread(upgrade_database, database_url)
        database = Database(database_url, pool_size=1, max_overflow=0)
        try:
            org = await make_org(database, prefix="e2e-")
        finally:
            await database.dispose()
        cluster = Cluster(data_dir, env, database_url, org.key, org.id, org.slug)
        await asyncio.to_thread(cluster.start_api)
        if with_worker:
            cluster.start_worker()
        yield cluster
    except BaseException:
        for name in ("api", "worker"):
            with contextlib.suppress(OSError):
                print(f"--- {name} log ---\n" + (data_dir / f"{name}.log").read_text()[-4000:])
        raise
    finally:
        if cluster is not None:
            cluster.stop()
        else:
            with contextlib.suppress(Exception):
                run_orderly(["db", "stop"], env=env)
        shutil.rmtree(data_dir, ignore_errors=True)
