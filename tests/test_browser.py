"""The staff pages in a real browser: Playwright driving Debian's Chromium against the real app under uvicorn.

Never downloads a browser: it uses /usr/bin/chromium (apt-get install chromium) or MADOGUCHI_CHROMIUM.
Skips locally when Chromium or the playwright package is missing; fails in CI (MADOGUCHI_REQUIRE_SERVICES=1).
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import skip_or_fail

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("MADOGUCHI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct horse battery"
QUESTION = "ペンギンの飼育係になりたいのですが"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """uvicorn running the real app on a free port: fresh SQLite DB, temporary copy of one tenant's knowledge."""
    tmp = tmp_path_factory.mktemp("browser")
    root = tmp / "knowledge"
    root.mkdir()
    shutil.copytree(REPO / "knowledge" / "iruma", root / "iruma")
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/app.db", "MADOGUCHI_KNOWLEDGE_PATH": str(root),
           "MADOGUCHI_WATCH": "0", "MADOGUCHI_SESSION_SECRET": "browser-test-secret",
           "MADOGUCHI_SPOOL_PATH": str(tmp / "spool.jsonl"), "MADOGUCHI_EVENT_SPOOL": str(tmp / "ev.jsonl"),
           "MADOGUCHI_HASH_KEY": "browser-test-hash-key", "MADOGUCHI_ENV": "development",
           "NO_PROXY": "127.0.0.1,localhost"}
    for k in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"):
        env.pop(k, None)
    # staff users exist before the server starts, as `madoguchi users add` would leave them
    from bot.store import open_store
    store = open_store(env["DATABASE_URL"])
    store.create_staff("editor", PASSWORD, "editor", "*")
    store.create_staff("approver", PASSWORD, "approver", "iruma")
    store.close()
    log = open(tmp / "uvicorn.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "web.app:create_app", "--factory", "--host",
                             "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the app did not start: " + (tmp / "uvicorn.log").read_text()[-2000:])
            time.sleep(0.2)
        yield {"base": base, "root": root}
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is not installed (pip install playwright)")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def login(browser, base: str, username: str):
    ctx = browser.new_context(accept_downloads=True, locale="ja-JP")
    page = ctx.new_page()
    page.goto(base + "/admin")
    assert page.url.endswith("/admin/login")             # redirected: no session yet
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/admin")
    return ctx, page


def ask_in_chat(browser, base: str, text: str) -> str:
    """Ask through the residents' web chat page; returns the bot's reply text."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(base + "/?tenant=iruma")
    page.select_option("#lang", "ja")
    page.fill("#q", text)
    page.click("#ask button[type=submit]")
    page.wait_for_selector(".msg.bot.card")
    reply = page.locator(".msg.bot.card").last.inner_text()
    ctx.close()
    return reply


def test_dashboard_shows_svg_charts(server, browser):
    httpx.post(server["base"] + "/api/ask", json={"tenant": "iruma", "text": "外国人の相談窓口はありますか"})
    ctx, page = login(browser, server["base"], "editor")
    assert page.locator("h1").inner_text().startswith("入間市")
    assert page.locator("svg.chart").count() >= 5
    assert page.locator("svg.chart title").first.text_content()
    page.click("text=月次報告")
    page.wait_for_url("**/admin/report**")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()    # the print stylesheet hides the navigation
    ctx.close()


def test_draft_approved_then_the_bot_answers(server, browser):
    base = server["base"]
    first = ask_in_chat(browser, base, QUESTION)
    assert "ペンギンの飼育係の募集" not in first

    ctx, page = login(browser, base, "editor")
    page.click("nav >> text=見直し")
    group = page.locator("article.group", has_text=QUESTION)
    group.locator("text=新しい回答の下書きを作る").click()
    page.wait_for_url("**/admin/review/draft**")
    assert QUESTION in page.locator("textarea[name=q_ja]").input_value()
    page.fill("textarea[name=a_ja]", "入間市では、ペンギンの飼育係の募集はありません。")
    page.fill("textarea[name='a_ja-easy']", "ぺんぎん の かかり の ぼしゅう は ありません。")
    page.fill("textarea[name=a_en]", "Iruma does not recruit penguin keepers.")
    page.click("text=下書きを保存して承認を依頼する")
    page.wait_for_url("**/admin/drafts**")
    assert "承認者の承認を待っています" in page.content()
    assert page.locator("text=承認して公開する").count() == 0      # an editor cannot approve
    ctx.close()

    ctx, page = login(browser, base, "approver")
    page.click("nav >> text=下書きと承認")
    page.locator("article.draft-card", has_text=QUESTION).locator("text=承認して公開する").click()
    page.wait_for_url("**msg=approved**")
    assert "公開済み" in page.content()
    ctx.close()

    reply = ask_in_chat(browser, base, QUESTION)
    assert "ペンギンの飼育係の募集はありません" in reply
    assert (server["root"] / "iruma" / "faq_staff.yaml").is_file()


def test_download_csv(server, browser):
    ctx, page = login(browser, server["base"], "approver")
    with page.expect_download() as info:
        page.click("text=質問の一覧 CSV（UTF-8、Excel 対応）")
    download = info.value
    data = Path(download.path()).read_bytes()
    assert download.suggested_filename == "questions-iruma.csv"
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows and "text" in rows[0] and "user_key" not in rows[0]
    ctx.close()
