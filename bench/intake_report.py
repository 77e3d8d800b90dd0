"""What an order-intake run reports: the machine, the revision, a table and a JSON file."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
TARGET_RATIO = 0.25


def machine(postgres_version: str | None) -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = int(next(x for x in meminfo if x.startswith("MemTotal:")).split()[1])
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((x.split(":", 1)[1].strip() for x in cpuinfo if x.startswith("model name")), "")
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(total_kib / 1024 / 1024, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": postgres_version,
    }


def orderly_revision() -> dict[str, Any]:
    import orderly

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=BENCH_DIR, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    return {
        "version": orderly.__version__,
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "uncommitted_changes": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


# --- output ------------------------------------------------------------------------------------


def print_run(run: dict[str, Any]) -> None:
    failures = {k: v for k, v in run["statuses"].items() if k != "201"}
    print(
        f"workers={run['workers']} clients={run['clients']}: {run['orders_per_s']:,.1f} orders/s, "
        f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, other answers {failures or 'none'}, "
        f"socket errors {run['socket_errors']}; worker CPU s {run['worker_cpu_s']} "
        f"(balanced: {'yes' if run['workers_balanced'] else 'NO'}), "
        f"RSS MiB {run['worker_rss_mib']}, PostgreSQL CPU s {run['postgres_cpu_s']}, "
        f"load generator ({run['generator']}) CPU s {run['generator_cpu_s']}, "
        f"machine busy {run['machine_busy_pct']}% (other processes: {run['other_cpu_s']} CPU s)"
    )


def print_table(report: dict[str, Any]) -> None:
    header = (
        f"{'workers':>7} {'clients':>7} {'orders/s':>9} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'errors':>6} {'limit tps':>9} {'ratio':>6} {'RSS MiB/worker':>15} {'balanced':>8} "
        f"{'other CPU':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    for run in report["runs"]:
        errors = run["requests"] - run["orders"] + run["socket_errors"]
        rss = "/".join(f"{r:.0f}" for r in run["worker_rss_mib"])
        print(
            f"{run['workers']:>7} {run['clients']:>7} {run['orders_per_s']:>9,.1f} "
            f"{_fmt(run['p50_ms']):>7} {_fmt(run['p99_ms']):>7} {errors:>6} "
            f"{_fmt(run['limit_tps'], '{:,.0f}'):>9} {_fmt(run['ratio'], '{:.3f}'):>6} "
            f"{rss:>15} {'yes' if run['workers_balanced'] else 'NO':>8} "
            f"{_other_share(run):>9}"
        )
    generators = sorted({run["generator"] for run in report["runs"]})
    print(
        f"\nload generator: {', '.join(generators)}; target ratio with 2 workers: >= {TARGET_RATIO}"
    )
    print("other CPU: share of the machine used by processes outside the benchmark meanwhile")
    limits = {run["clients"]: run.get("limit_tps_before_after") or [] for run in report["runs"]}
    for clients, samples in sorted(limits.items()):
        if samples:
            before_after = " and ".join(f"{tps:,.0f}" for tps in samples)
            print(
                f"limit tps with {clients} clients, before and after the API runs: {before_after}"
            )


def _other_share(run: dict[str, Any]) -> str:
    """Share of the machine's CPU taken by processes outside the benchmark during the run."""
    capacity = (os.cpu_count() or 1) * run["seconds"]
    return f"{100 * run['other_cpu_s'] / capacity:.0f}%"


def _fmt(value: float | None, pattern: str = "{:.1f}") -> str:
    return "-" if value is None else pattern.format(value)


def write_report(report: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"order-intake-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    return path
