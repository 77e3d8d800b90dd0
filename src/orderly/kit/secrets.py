"""The installation's secret key: ``ORDERLY_SECRET_KEY``, else one generated once and kept in
the data directory in the file ``secret-key`` (mode 600), so that every process sharing the
data directory shares it. Several hosts need the same ``ORDERLY_SECRET_KEY``.

Shipping derives its encryption key from it; the dashboard signs its session cookies with it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

SECRET_KEY_FILE = "secret-key"  # noqa: S105 (a file name)


class KeySettings(Protocol):
    """What the secret key needs of `orderly.settings.Settings` (kit sits below the settings)."""

    @property
    def secret_key(self) -> str | None: ...

    def resolved_data_dir(self) -> Path: ...


def secret_key(settings: KeySettings) -> str:
    if settings.secret_key:
        return settings.secret_key
    path: Path = settings.resolved_data_dir() / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
