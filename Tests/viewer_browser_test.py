#!/usr/bin/env python3
"""A real browser through the dev control plane's viewer URL.

Opens SESSION_URL/ws.html (a running session of streamspace-test/httpd:2, reached through the
session tunnel) in Debian's chromium, driven by Playwright, and checks what a person would see:
the page rendered, its script's fetch of the home page through the /sessions/<id>/ prefix,
and its WebSocket (a relative URL, so also through the prefix) echoing back. Saves a
screenshot. Exit status 0 when all holds; the reason otherwise.

Usage: viewer_browser_test.py SESSION_URL SCREENSHOT_PATH   (SESSION_URL ends with a slash)
"""
import os
import shutil
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright


def chromium_path():
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and os.path.exists(candidate):
            return candidate
    sys.exit("no chromium: apt-get install chromium")


def main():
    if len(sys.argv) != 3 or not sys.argv[1].endswith("/"):
        sys.exit(__doc__)
    session_url, screenshot = sys.argv[1], sys.argv[2]
    page_url = session_url + "ws.html"
    expected_echo = "echo of " + urlparse(page_url).path
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 400})
            response = page.goto(page_url, wait_until="load", timeout=30_000)
            if response is None or response.status != 200:
                sys.exit(f"GET {page_url}: HTTP {response.status if response else 'no answer'}")
            page.wait_for_function("document.getElementById('echo').textContent !== 'waiting'", timeout=20_000)
            page.wait_for_function("document.getElementById('page').textContent !== 'loading'", timeout=20_000)
            echo = page.text_content("#echo")
            home = page.text_content("#page")
            os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
            page.screenshot(path=screenshot, full_page=True)
        finally:
            browser.close()
    print(f"page: {page_url}\nhome page text: {home!r}\nWebSocket echo: {echo!r}\nscreenshot: {screenshot}")
    if not home.startswith("streamspace session"):
        sys.exit(f"the home page through the prefix reads {home!r}, not 'streamspace session …'")
    if echo != expected_echo:
        sys.exit(f"the WebSocket echo reads {echo!r}, not {expected_echo!r}")
    print("ok")


if __name__ == "__main__":
    main()
