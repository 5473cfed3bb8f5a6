"""Headless Chromium for the site's tests and bench/docs_site.py, through playwright with the system's
Chromium (Debian's `chromium`; `make test` installs it where apt-get can). Every page records its console
errors and uncaught exceptions; `check_errors()` fails on any."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if chromium_path() is None:
        return "no Chromium: `apt-get install chromium` (make test does so where apt-get works), or set CHROMIUM"
    return None


class Browser:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self._pw: Any = None
        self._browser: Any = None

    def __enter__(self) -> Browser:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        # playwright starts Chromium headless with a fresh temporary profile of its own (--user-data-dir)
        self._browser = self._pw.chromium.launch(executable_path=chromium_path(), headless=True, args=FLAGS)
        return self

    def page(self, width: int = 1400, height: int = 1000) -> Any:
        page = self._browser.new_page(viewport={"width": width, "height": height})
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        return page

    def check_errors(self) -> None:
        errors, self.errors = self.errors, []
        assert errors == [], "\n".join(errors)

    def __exit__(self, *exc: Any) -> None:
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            if self._pw is not None:
                self._pw.stop()
