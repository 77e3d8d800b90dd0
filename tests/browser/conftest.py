"""Browser tests: Playwright driving the system's Chromium against a real Orderly server.

Chromium is found through ORDERLY_CHROMIUM or /usr/bin/chromium; Playwright never downloads
a browser. Without one the tests are skipped with a loud reason, and with
ORDERLY_REQUIRE_BROWSER=1 (CI) that skip is a failure instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import uvicorn

from orderly.app import create_app
from orderly.settings import Settings

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str | None:
    candidates = [os.environ.get("ORDERLY_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _no_browser(reason: str) -> None:
    message = f"BROWSER TESTS NOT RUN: {reason}"
    if os.environ.get("ORDERLY_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (ORDERLY_REQUIRE_BROWSER=1)", pytrace=False)
    print("\n" + "!" * 78 + f"\n{message}\n" + "!" * 78)
    pytest.skip(message)


@pytest.fixture(scope="session")
def server(database_url: str, settings: Settings) -> Iterator[str]:
    """Orderly on a free port in a thread, on the test database; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(Settings(database_url=database_url, data_dir=settings.data_dir))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the Orderly test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


@pytest_asyncio.fixture(scope="session")
async def browser() -> AsyncIterator[object]:
    path = chromium_path()
    if path is None:
        _no_browser("no Chromium found (set ORDERLY_CHROMIUM or install Debian's chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (pip install -e '.[dev]')")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()
