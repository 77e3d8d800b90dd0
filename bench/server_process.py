"""`orderly serve` as a child process of the benchmark, and what /proc says about its workers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def orderly_command() -> list[str]:
    """The `orderly` CLI of the Python running this benchmark."""
    beside = Path(sys.executable).with_name("orderly")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("orderly")
    if found:
        return [found]
    return [sys.executable, "-m", "orderly.cli"]


def orderly_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ORDERLY_DATABASE_URL", None)
    env["ORDERLY_DATA_DIR"] = str(data_dir)
    # The benchmark drives one API key far past the default per-key limit: keep the limiter
    # running (its cost is part of the figure) but high enough never to refuse.
    env.setdefault("ORDERLY_RATE_LIMIT_PER_MINUTE", "100000000")
    return env


def run_orderly(args: list[str], *, env: dict[str, str]) -> str:
    """Run one `orderly` command to completion and return its standard output."""
    done = subprocess.run(
        [*orderly_command(), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        start_new_session=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"orderly {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def new_organization(env: dict[str, str], slug: str) -> str:
    """Migrate the benchmark's database, create an organization and return an admin API key."""
    run_orderly(["migrate"], env=env)
    run_orderly(["org", "create", slug], env=env)
    created = run_orderly(["api-key", "create", "--org", slug, "--role", "admin"], env=env)
    return created.strip().splitlines()[-1].strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    workers: int
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The processes that answer requests: uvicorn's spawned workers, or the server itself."""
        spawned = [
            pid
            for pid in descendants(self.process.pid)
            if "spawn_main" in cmdline(pid) and "resource_tracker" not in cmdline(pid)
        ]
        return spawned or [self.process.pid]

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def start_server(
    *, data_dir: Path, workers: int, log_path: Path, env: dict[str, str] | None = None
) -> Server:
    port = free_port()
    log = log_path.open("ab")
    address = ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*orderly_command(), "serve", *address, "--workers", str(workers)],
        env=env or orderly_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    server = Server(process, f"http://127.0.0.1:{port}", workers, log_path)
    try:
        wait_until_healthy(server)
    except BaseException:
        stop_server(server)
        raise
    return server


def wait_until_healthy(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"orderly serve exited early:\n{server.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            healthy = httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200
            if healthy and (server.workers == 1 or len(server.worker_pids()) >= server.workers):
                return
        time.sleep(0.3)
    raise RuntimeError(f"orderly serve did not become healthy:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)


# --- /proc -------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name sits in parentheses and may contain spaces; fields resume after it.
    return raw[raw.rindex(")") + 2 :].split()


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cpu_seconds(pid: int, *, with_reaped_children: bool = False) -> float:
    """User plus system CPU time of a process (and of its children it has waited for)."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    # After the command name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    ticks = int(fields[11]) + int(fields[12])
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def tree_cpu_seconds(root: int) -> float:
    pids = [root, *descendants(root)]
    return cpu_seconds(root, with_reaped_children=True) + sum(cpu_seconds(p) for p in pids[1:])


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "pg" / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS
