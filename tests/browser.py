"""Open a local HTML file in headless Debian chromium (through playwright) for tests.

    require_browser()                      # skip (or, with DQKIT_REQUIRE_BROWSER=1, fail) without one
    with browser_session() as browser:     # one launch, many pages
        page = browser.open(path)          # a PageInfo: .page, .console, .errors, .requests, ...
    screenshot(path, "shot.png")           # a full-page PNG

Pages open in an offline browser context, so even a request the page should not make
fails fast instead of reaching the network; it is recorded all the same.

Every request the page makes is recorded; a report page must make none but the file itself.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
REQUIRE_ENV = "DQKIT_REQUIRE_BROWSER"


def browser_missing() -> str | None:
    """Why no browser test can run here, or None when one can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"playwright is not installed ({exc})"
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def require_browser() -> None:
    """pytest.skip without playwright or chromium; pytest.fail instead when
    DQKIT_REQUIRE_BROWSER=1 (CI installs chromium and must not skip in silence)."""
    import pytest

    reason = browser_missing()
    if reason is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but no browser: {reason}", pytrace=False)
    pytest.skip(f"browser test skipped: {reason} (set {REQUIRE_ENV}=1 to make this a failure)")


@dataclass
class PageInfo:
    """A loaded page and what happened while it loaded (lists keep growing while it is open)."""

    page: object
    url: str
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    errors: list[str] = field(default_factory=list)  # uncaught page errors
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # every request, the file itself included
    dialogs: list[str] = field(default_factory=list)  # alert/confirm/prompt (dismissed)

    @property
    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "assert")]

    @property
    def other_requests(self) -> list[str]:
        """Requests for anything but the page's own file."""
        return [url for url in self.requests if url != self.url]


class BrowserSession:
    def __init__(self, browser):
        self.browser = browser
        self._contexts = []

    def open(self, html_path, *, width: int = 1280, height: int = 900, javascript: bool = True) -> PageInfo:
        """Load ``html_path`` in a fresh context (``javascript=False``: scripts off)."""
        url = Path(html_path).resolve().as_uri()
        context = self.browser.new_context(viewport={"width": width, "height": height},
                                           java_script_enabled=javascript, offline=True)
        self._contexts.append(context)
        page = context.new_page()
        info = PageInfo(page=page, url=url)
        page.on("console", lambda message: info.console.append((message.type, message.text)))
        page.on("pageerror", lambda error: info.errors.append(str(error)))
        page.on("requestfailed", lambda request: info.failed_requests.append(
            f"{request.url} {request.failure or ''}".strip()))
        page.on("request", lambda request: info.requests.append(request.url))

        def on_dialog(dialog):
            info.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        return info

    def screenshot(self, html_path, png_path, width: int = 1280) -> Path:
        info = self.open(html_path, width=width)
        info.page.screenshot(path=str(png_path), full_page=True)
        return Path(png_path)

    def close_pages(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()


@contextlib.contextmanager
def browser_session():
    """One headless chromium for several pages."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        try:
            yield BrowserSession(browser)
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(html_path, *, width: int = 1280):
    """One page in its own browser: ``with open_page(path) as info: ...``."""
    with browser_session() as session:
        yield session.open(html_path, width=width)


def screenshot(html_path, png_path, width: int = 1280) -> Path:
    """Save a full-page PNG of ``html_path`` at ``width`` CSS pixels (its own browser;
    within a session, ``session.screenshot`` reuses the running one)."""
    with browser_session() as session:
        return session.screenshot(html_path, png_path, width=width)
