"""Rendering templates in child processes, each bound in processor time and memory: a thread
cannot be stopped, and one costly step (a filter given a huge width) is beyond the sandbox's
counting, but a process can be killed. Children are kept and reused, one render at a time."""

from __future__ import annotations

import functools
import math
import multiprocessing
import resource
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from orderly.notifications.errors import RendererUnavailable
from orderly.notifications.sandbox import reason, render_part

CPU_SECONDS = 2  # processor time for the three parts of one message
MEMORY_BYTES = 256 * 1024 * 1024  # address space a child may add to what it starts with
# A render that has not answered in this long (a child starved of processor time, or stuck)
# is stopped too; the processor limit is what normally ends one.
WALL_SECONDS = 20.0
START_SECONDS = 60.0  # for a new child to be ready (it imports the application)
IDLE_CHILDREN = 4  # children kept for the next renders

PARTS = ("subject", "body_text", "body_html")


@dataclass(frozen=True, slots=True)
class Refusal:
    field: str
    reason: str


class _Lost(Exception):
    """The child died or stopped answering; it is not used again."""


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except OSError:  # not Linux: the processor limit and the sandbox's counting remain
        return None


def _lower_limit(kind: int, soft: int) -> None:
    """Set a soft limit, never above the hard limit the process was given."""
    hard = resource.getrlimit(kind)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(kind, (soft, hard))


def _processor_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _serve(connection: Connection) -> None:
    """The child: render what the parent sends until it hangs up. Each render may use
    CPU_SECONDS more processor time than the child has used so far (the kernel kills it past
    that), and the child's address space is capped once."""
    start = _address_space()
    if start is not None:
        _lower_limit(resource.RLIMIT_AS, start + MEMORY_BYTES)
    connection.send(("ready",))
    while True:
        try:
            sources, context = connection.recv()
        except EOFError:
            return
        _lower_limit(resource.RLIMIT_CPU, math.ceil(_processor_seconds() + CPU_SECONDS))
        connection.send(_render_parts(connection, sources, context))


def _render_parts(
    connection: Connection, sources: dict[str, str], context: dict[str, Any]
) -> tuple[Any, ...]:
    parts: dict[str, str] = {}
    for field in PARTS:
        connection.send(("part", field))
        try:
            parts[field] = render_part(
                sources[field],
                {**context, "subject": parts.get("subject", "")},
                html=field == "body_html",
            )
        except BaseException as error:  # whatever fails here is the template's, and reported
            return ("refused", field, reason(error), isinstance(error, MemoryError))
    return ("rendered", parts)


@functools.cache
def _processes() -> multiprocessing.context.ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


class _Child:
    def __init__(self) -> None:
        self.connection, theirs = _processes().Pipe()
        self.process: BaseProcess = _processes().Process(target=_serve, args=(theirs,), daemon=True)
        self.process.start()
        theirs.close()
        try:
            if not self.connection.poll(START_SECONDS):
                raise EOFError
            self.connection.recv()
        except (EOFError, OSError):
            self.stop()
            raise RendererUnavailable("the template renderer did not start; try again") from None

    def render(self, sources: dict[str, str], context: dict[str, Any]) -> dict[str, str] | Refusal:
        self.connection.send((sources, context))
        deadline = time.monotonic() + WALL_SECONDS
        field = PARTS[0]
        try:
            while self.connection.poll(max(0.0, deadline - time.monotonic())):
                answer = self.connection.recv()
                if answer[0] == "part":
                    field = answer[1]
                elif answer[0] == "refused":
                    if answer[3]:
                        raise _Lost(Refusal(answer[1], answer[2]))
                    return Refusal(answer[1], answer[2])
                else:
                    return dict(answer[1])
        except (EOFError, OSError):
            self.process.join(1)
            if self.process.exitcode == -signal.SIGXCPU:
                why = f"it needs more than {CPU_SECONDS} s of processor time"
            else:
                why = "it needs more processor time or memory than a template may use"
            raise _Lost(Refusal(field, why)) from None
        raise _Lost(Refusal(field, f"it did not finish within {WALL_SECONDS:g} s"))

    def stop(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


_idle: list[_Child] = []
_idle_lock = threading.Lock()


def render_isolated(sources: dict[str, str], context: dict[str, Any]) -> dict[str, str] | Refusal:
    """Render the three parts in a child process. Blocks: call it from a worker thread."""
    with _idle_lock:
        child = _idle.pop() if _idle else None
    if child is None:
        child = _Child()
    try:
        outcome = child.render(sources, context)
    except _Lost as lost:
        child.stop()
        refusal: Refusal = lost.args[0]
        return refusal
    except BaseException:
        child.stop()
        raise
    with _idle_lock:
        keep = len(_idle) < IDLE_CHILDREN
        if keep:
            _idle.append(child)
    if not keep:
        child.stop()
    return outcome
