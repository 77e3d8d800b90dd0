"""The background job app (procrastinate on PostgreSQL) and the task modules it runs.

Nothing happens at import: the App, its connector and its pool exist only once
`build_job_app` is called by the worker command or by a process that defers jobs.
"""

from __future__ import annotations

import functools
import importlib

import procrastinate

from orderly import wiring
from orderly.kit.db import plain_url
from orderly.kit.jobs import stalled_after

# Every module that defines tasks, so that a worker knows every job it may be handed.
# Each one exposes `blueprint = procrastinate.Blueprint()` and declares its tasks on it;
# they run under the feature's namespace ("orders:expire_holds"), or under the module's
# `JOB_NAMESPACE` when its jobs kept the name they had in another feature. A feature adds its
# module here when it has one, e.g. "orderly.orders.tasks".
TASK_MODULES: tuple[str, ...] = (
    "orderly.order_flows.tasks",
    "orderly.shipping.tasks",
    "orderly.automation.tasks",
    "orderly.notifications.tasks",
    "orderly.connections.tasks",
    "orderly.outside.tasks",
    "orderly.payments.tasks",
    "orderly.privacy.tasks",
)


@functools.cache
def build_job_app(database_url: str) -> procrastinate.App:
    """The job app for a database, built once per process.

    Cached because procrastinate binds a blueprint's tasks to the first App they are added to.
    """
    connector = procrastinate.PsycopgConnector(conninfo=plain_url(database_url))
    app = procrastinate.App(connector=connector)
    for path in TASK_MODULES:
        module = importlib.import_module(path)
        namespace = getattr(module, "JOB_NAMESPACE", _feature(path))
        app.add_tasks_from(module.blueprint, namespace=namespace)
    return app


def _feature(module_path: str) -> str:
    # "orderly.orders.tasks" -> "orders"
    return module_path.split(".")[1]


async def run_worker(
    database_url: str, *, concurrency: int = 1, heartbeat_seconds: float = 10.0
) -> None:
    """Run jobs until the process is told to stop (SIGINT or SIGTERM)."""
    wiring.install()
    app = build_job_app(database_url)
    async with app.open_async():
        await app.run_worker_async(
            concurrency=concurrency,
            name="orderly-worker",
            update_heartbeat_interval=heartbeat_seconds,
            stalled_worker_timeout=stalled_after(heartbeat_seconds),
        )
