"""Take the user guide's screenshots (``docs/images/*.png``) from a fresh demo.

    .venv/bin/python docs/screenshots.py              # from the repository root
    .venv/bin/python docs/screenshots.py --out /tmp/shots --keep

It starts ``compris serve --demo`` (this checkout's ``src/``) on a free local port with a throw-away data
directory (the demo ships its teams, routing rules, business hours and SLA policies), lets one customer write
again from a second account through the API (so that a contact and a case can be merged), then signs in through
the login form with Playwright and saves each page.
The browser is Debian's chromium (``/usr/bin/chromium``, ``apt-get install chromium``): no browser is ever
downloaded. The files are then stripped of metadata and recompressed (losslessly, in pure Python).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, ViewportSize

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "demo-password"  # noqa: S105 (the demo's published password)
ADMIN = "admin@demo.compris.example"
FRENCH_SUPERVISOR = "ines@demo.compris.example"
FRENCH_AGENT = "sophie@demo.compris.example"  # her interface is in French
DESKTOP: ViewportSize = {"width": 1440, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: the demo customer who writes again from a second account (case 22: lost luggage, on X)
CUSTOMER = "Marcus Whitby-Orr"
SECOND_ACCOUNT = {"id": "wa-447700900481", "handle": "+44 7700 900481", "name": "Marcus W-O"}
#: a French customer whose two accounts the demo already merged (the French agent's case page)
FRENCH_CUSTOMER = "Léonie Vasseur-Quint"
SECOND_MESSAGE = ("Hi, it's Marcus again (@marcus_wo on X). Bag tag AC 2231-48812, still nothing. "
                  "Can you call me on this number?")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_env(data_dir: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(COMPRIS_DEMO="1", COMPRIS_DATA_DIR=str(data_dir), COMPRIS_BASE_URL=f"http://127.0.0.1:{port}",
               COMPRIS_PASSWORD_HASH_COST="minimal",  # noqa: S106 (the demo's users only; allowed in demo mode)
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p))
    return env


@contextlib.contextmanager
def demo_server(data_dir: Path, port: int, log: Path) -> Iterator[str]:
    """``compris serve --demo`` until the block ends; yields its base URL once it answers."""
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "compris", "serve", "--demo", "--port", str(port)],  # noqa: S603
                                  env=demo_env(data_dir, port), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            deadline = time.monotonic() + 180
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"the demo server stopped; see {log}")
                with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/login", timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the demo server did not answer in 3 minutes; see {log}")
                time.sleep(1)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()


class Api:
    """The demo's JSON API, as one user (a personal token made with ``compris create-token``)."""

    def __init__(self, base: str, data_dir: Path, port: int, email: str) -> None:
        made = subprocess.run([sys.executable, "-m", "compris", "create-token", email, "--name", "screenshots"],  # noqa: S603
                              env=demo_env(data_dir, port), capture_output=True, text=True, check=True, cwd=ROOT)
        self.token = made.stdout.strip().splitlines()[-1]
        self.base = base

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(  # noqa: S310 (local)
            f"{self.base}/api/v1{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (local)
                raw = answer.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None
        return json.loads(raw) if raw else None


def set_up(base: str, api: Api) -> dict[str, int]:
    """The customer's second account writes (the demo itself ships the teams, routing rules, business hours and SLA
    policies: ``compris.demo._desk_demo``). Returns the ids the pages need."""
    cases = api.call("GET", "/cases?status=all&limit=200")["items"]
    case = next(c for c in cases if c["contact"]["display_name"] == CUSTOMER)
    before = {c["contact"]["id"] for c in cases}
    simulate = urllib.request.Request(  # noqa: S310 (local)
        f"{base}/sandbox-network/api/simulate", method="POST", headers={"Content-Type": "application/json"},
        data=json.dumps({"brand": "aircompris-whatsapp", "kind": "dm", "author": SECOND_ACCOUNT,
                         "text": SECOND_MESSAGE, "wait": True}).encode())
    with urllib.request.urlopen(simulate, timeout=30):  # noqa: S310 (local)
        pass
    deadline = time.monotonic() + 60
    while True:  # the job that turns the delivery into a case runs in the background
        cases = api.call("GET", "/cases?status=all&limit=200")["items"]
        new = [c for c in cases if c["contact"]["id"] not in before]
        if new:
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the second account's message did not open a case")
        time.sleep(0.5)
    french = next(c for c in cases if c["contact"]["display_name"] == FRENCH_CUSTOMER and c["status"] != "closed")
    return {"case": case["number"], "contact": case["contact"]["id"], "second_contact": new[0]["contact"]["id"],
            "second_case": new[0]["number"], "french_case": french["number"]}


def shrink(path: Path) -> None:
    """Drop the PNG's ancillary chunks (metadata) and recompress its pixels at zlib's highest level; the pixels do
    not change. Pure Python: nothing to install."""
    data = path.read_bytes()
    signature, pos, chunks, pixels = data[:8], 8, [], b""
    if signature != b"\x89PNG\r\n\x1a\n":
        return
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IDAT":
            pixels += body
        elif kind in (b"IHDR", b"PLTE", b"tRNS", b"IEND"):
            chunks.append((kind, body))
    packed = zlib.compress(zlib.decompress(pixels), 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    out = signature + b"".join(chunk(k, b) for k, b in chunks if k != b"IEND") + chunk(b"IDAT", packed)
    out += chunk(b"IEND", b"")
    if len(out) < len(data):
        path.write_bytes(out)


def stories_of_issues_13_and_14(data_dir: Path) -> dict[str, Any]:
    """From the demo's database: the escalated case and the partner's portal link (from the mail the hotel got), the
    rebooked case, and a surveyed case with the survey page's link (from the survey message)."""
    import re
    import sqlite3

    with contextlib.closing(sqlite3.connect(data_dir / "compris.db")) as db:
        escalated = db.execute("SELECT c.number FROM escalations e JOIN cases c ON c.id = e.case_id "
                               "ORDER BY e.id LIMIT 1").fetchone()[0]
        mail = db.execute("SELECT text FROM outgoing_mails WHERE purpose = 'escalation_brief' "
                          "ORDER BY id LIMIT 1").fetchone()[0]
        rebooked = db.execute("SELECT c.number FROM business_action_runs r JOIN cases c ON c.id = r.case_id "
                              "WHERE r.state = 'succeeded' ORDER BY r.id LIMIT 1").fetchone()[0]
        surveyed, survey_text = db.execute(
            "SELECT c.number, m.text FROM surveys s JOIN cases c ON c.id = s.case_id JOIN messages m ON m.id = "
            "s.message_id WHERE s.state = 'answered' AND s.comment IS NOT NULL AND m.text LIKE '%/s/%' "
            "ORDER BY s.id LIMIT 1").fetchone()
        # (the demo's weeks of history have surveys too, written without a link: the stories' carry one)
        unanswered = db.execute("SELECT m.text FROM surveys s JOIN messages m ON m.id = s.message_id "
                                "WHERE m.text LIKE '%/s/%' ORDER BY s.state = 'sent' DESC, s.id DESC LIMIT 1"
                                ).fetchone()[0]
        # issue 17: the Tripadvisor review whose response waits to be posted by hand, a two-star Google review
        by_hand = db.execute("SELECT c.number FROM messages m JOIN cases c ON c.id = m.case_id "
                             "WHERE m.delivery_state = 'manual' ORDER BY m.id LIMIT 1").fetchone()[0]
        review = db.execute("SELECT c.number FROM messages m JOIN cases c ON c.id = m.case_id "
                            "WHERE m.rating = 2 ORDER BY m.id LIMIT 1").fetchone()[0]
    link = re.compile(r"https?://\S+?/(?:p|s)/[A-Za-z0-9_.-]+")
    return {"escalated": escalated, "portal": link.findall(mail)[0], "rebooked": rebooked, "surveyed": surveyed,
            "survey_page": link.findall(unanswered or survey_text)[0], "by_hand": by_hand, "review": review}


def take(base: str, out: Path, ids: dict[str, Any]) -> list[Path]:
    from playwright.sync_api import Page, sync_playwright

    saved: list[Path] = []

    def sign_in(page: Page, email: str) -> None:
        page.goto(f"{base}/login")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("form.login-card button[type=submit]")
        page.wait_for_url(f"{base}/inbox**")

    def shot(page: Page, path: str, name: str, *, ready: str | None = None, show: str | None = None,
             height: int | None = None, top: int | None = None) -> None:
        """Open ``path`` and save the window; ``show``: scroll that element into view first; ``height``: a shorter
        window, the whole page (for short pages); ``top``: only the window's top so many pixels."""
        size = page.viewport_size or DESKTOP
        if height:
            page.set_viewport_size({"width": size["width"], "height": height})
        page.goto(f"{base}{path}", wait_until="load")  # not "networkidle": the live-update stream stays open
        if ready:
            page.wait_for_selector(ready)
        page.wait_for_timeout(800)  # fonts, HTMX fragments, the live badge
        if show:
            page.locator(show).scroll_into_view_if_needed()
            page.wait_for_timeout(200)
        file = out / f"{name}.png"
        clip: FloatRect | None = {"x": 0, "y": 0, "width": size["width"], "height": top} if top else None
        page.screenshot(path=str(file), full_page=bool(height), clip=clip)
        if height:
            page.set_viewport_size(size)
        shrink(file)
        saved.append(file)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            desk = browser.new_context(viewport=DESKTOP, locale="en-GB")
            page = desk.new_page()
            sign_in(page, ADMIN)
            shot(page, "/inbox", "inbox", ready="#list-title", top=760)
            # the second account's contact, searching for the customer's first one: the merge form
            shot(page, f"/contacts/{ids['second_contact']}?q=Marcus", "contact-merge", ready=".merge-candidates",
                 height=600)
            page.click("[data-action=merge-contact]")
            page.wait_for_url(f"{base}/contacts/{ids['contact']}**")
            shot(page, f"/contacts/{ids['contact']}", "contact", height=600)
            # the customer panel, now with both accounts and the form to merge the two cases
            shot(page, f"/cases/{ids['case']}", "case", ready="#customer .merge-form", show="#customer .merge-form")
            shot(page, "/admin/routing", "admin-routing")
            shot(page, "/admin/sla", "admin-sla")
            # issues 13 and 14: escalation, business actions, surveys
            shot(page, f"/cases/{ids['escalated']}", "case-escalation", ready="#escalations", show="#escalations")
            shot(page, "/admin/partners", "admin-partners", height=700)
            shot(page, f"/cases/{ids['surveyed']}", "case-survey", top=700)
            shot(page, "/supervisor/surveys", "survey-results", height=800)
            # issue 17: a review's stars, and a response to post by hand on Tripadvisor
            shot(page, f"/cases/{ids['by_hand']}", "case-review-by-hand", ready=".manual-send", top=760)
            shot(page, "/admin/channels", "admin-channels", height=800)
            # issue 16: listening alerts and the demo's parcel wall as an incident; issue 15: the reports
            shot(page, "/listening/alerts", "listening-alerts", ready=".subnav", height=800)
            shot(page, "/incidents/1", "incident", top=1100)
            shot(page, "/reports", "reports", top=1500)
            # issue 19: administration — the settings hub, people, the audit log, retention
            shot(page, "/settings", "settings", height=800)
            shot(page, "/admin/people", "admin-people", top=1100)
            shot(page, "/admin/audit", "admin-audit", top=1000)
            shot(page, "/admin/retention", "admin-retention", height=800)
            desk.close()

            phone = browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True, has_touch=True)
            page = phone.new_page()
            sign_in(page, ADMIN)
            shot(page, "/inbox", "phone-inbox")
            shot(page, f"/cases/{ids['case']}", "phone-case")
            phone.close()

            french = browser.new_context(viewport=DESKTOP, locale="fr-FR")
            page = french.new_page()
            sign_in(page, FRENCH_AGENT)
            shot(page, f"/cases/{ids['french_case']}", "case-fr", ready="#customer")
            shot(page, f"/cases/{ids['rebooked']}", "case-business-fr", ready=".business-result",
                 show=".business-result")
            shot(page, f"/cases/{ids['review']}", "case-review-fr", top=700)
            french.close()

            # a French supervisor's reports on a phone
            phone_fr = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
            page = phone_fr.new_page()
            sign_in(page, FRENCH_SUPERVISOR)
            shot(page, "/reports", "phone-reports-fr", top=1400)
            shot(page, "/settings", "phone-settings-fr", height=844)
            phone_fr.close()

            # no login: the partner's portal and the customer's survey page, on a phone, in French
            outside = browser.new_context(viewport=PHONE, locale="fr-FR", is_mobile=True, has_touch=True)
            page = outside.new_page()
            for name, link in (("phone-portal", ids["portal"]), ("phone-survey", ids["survey_page"])):
                shot(page, "/" + link.split("/", 3)[3], name, height=844)  # the demo's links name this server
            outside.close()
        finally:
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images", help="where to save the PNG files")
    parser.add_argument("--port", type=int, default=0, help="the demo's port (default: a free one)")
    parser.add_argument("--keep", action="store_true", help="keep the demo's data directory (printed)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium); no browser is downloaded")
    args.out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="compris-screenshots-"))
    port = args.port or free_port()
    try:
        with demo_server(data_dir, port, data_dir / "serve.log") as base:
            api = Api(base, data_dir, port, ADMIN)
            ids: dict[str, Any] = {**set_up(base, api), **stories_of_issues_13_and_14(data_dir)}
            saved = take(base, args.out, ids)
    finally:
        if args.keep:
            print(f"demo data kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    total = 0
    for file in saved:
        size = file.stat().st_size
        total += size
        print(f"{file.relative_to(ROOT) if file.is_relative_to(ROOT) else file}  {size // 1024} KB")
    print(f"{len(saved)} screenshots, {total // 1024} KB")


if __name__ == "__main__":
    main()
