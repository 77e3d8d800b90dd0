"""Real Orderly processes for fault tests: an embedded PostgreSQL in a throwaway data directory,
`orderly serve` and `orderly worker` as child processes that a test may SIGKILL and restart.

Each process runs in its own session, so that killing one (with everything it spawned) never
touches the others; `stop` ends all of them and the database, whatever state they are in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.server_process import (
    Server,
    orderly_command,
    orderly_env,
    run_orderly,
    start_server,
)

from tests.factories import Org

API_WORKERS = 2


@dataclass
class Cluster:
    data_dir: Path
    env: dict[str, str]
    database_url: str
    api_key: str
    org_id: int
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
        return Org(id=self.org_id, slug="e2e", key=self.api_key)

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


@contextlib.contextmanager
def running_cluster(*, with_worker: bool) -> Iterator[Cluster]:
    """A migrated database with one organization and an admin key, the API and maybe a worker.

    The database is started by `orderly migrate` in a session of its own, so that killing the
    API's process group never takes PostgreSQL down with it.
    """
    # A short path: PostgreSQL's socket lives in the data directory.
    data_dir = Path(tempfile.mkdtemp(prefix="orderly-e2e-"))
    env = orderly_env(data_dir)
    env["ORDERLY_ALLOW_PRIVATE_URLS"] = "true"  # the webhook receiver listens on 127.0.0.1
    cluster: Cluster | None = None
    try:
        run_orderly(["migrate"], env=env)
        database_url = run_orderly(["db", "url"], env=env).strip()
        org_id = int(run_orderly(["org", "create", "e2e"], env=env).strip())
        key = run_orderly(["api-key", "create", "--org", "e2e", "--role", "admin"], env=env)
        cluster = Cluster(data_dir, env, database_url, key.strip().splitlines()[-1], org_id)
        cluster.start_api()
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
