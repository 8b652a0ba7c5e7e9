"""Browser fixtures: the test app served on a loopback port, and Debian's headless Chromium
driven by Playwright (never a downloaded browser)."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app.demo import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# The fake camera shows Chromium's test pattern unless a test passes
# --use-file-for-fake-video-capture=<file> to launch_chromium.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def sign_in(page, live_url, username, password=DEMO_PASSWORD):
    """Log in through the login page of the served app."""
    page.goto(f"{live_url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture(scope="module")
def live_url(app):
    """The module's app served on a loopback port (each test module has its own database)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def playwright():
    """One Playwright driver per session: the sync API cannot run two at once in a thread."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (setup.sh installs Debian's chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


def launch_chromium(playwright, *extra_args):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=ARGS + list(extra_args))


@pytest.fixture(scope="session")
def browser(playwright):
    browser = launch_chromium(playwright)
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
