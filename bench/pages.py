"""Bench of the pages' server time in the demo: every main page, median and p95 over N requests, next to a bare
route under the same conditions (the same app, middleware and session cookie).

    .venv/bin/python bench/pages.py [--db PATH] [--runs 30] [--json OUT] [--only PAGE ...] [--long-case N]

The demo is loaded into a scratch SQLite file (or ``--db``, an existing demo database), the app is created with no
workers, and each page is requested in-process through the ASGI app (Starlette's TestClient, an httpx transport: no
network, no uvicorn) signed in as the demo's admin. "Server time" is the time of the whole request in-process:
routing, middleware, session, database and template. The issue's target: no page over 200 ms.

``--long-case N`` first adds N messages to the inbox's first case (a conversation of thousands of messages, issue
22) and times its page as it opens (the latest messages) and with every message (``?shown=5000``, what the page
rendered before it was paginated), with each page's size.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

LIMIT_MS = 200.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="an SQLite file (made and loaded with the demo when missing)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--only", nargs="+", metavar="PAGE",
                        help="measure only these pages (and the bare route), e.g. --only /reports /supervisor/coverage")
    parser.add_argument("--long-case", type=int, default=0, metavar="N",
                        help="add N messages to the first case and time its page (latest messages / all)")
    args = parser.parse_args()

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="compris-bench-pages-")) / "demo.db"
    os.environ["COMPRIS_DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["COMPRIS_DEMO"] = "1"
    os.environ.setdefault("COMPRIS_SECRET_KEY", "bench-pages-secret-key-0123456789abcdef")
    logging_off()

    from fastapi.responses import PlainTextResponse
    from fastapi.testclient import TestClient

    from compris.cli import migrate
    from compris.config import get_settings
    from compris.demo import ensure_demo
    from compris.web.app import create_app

    get_settings.cache_clear()
    settings = get_settings()
    started = time.perf_counter()
    migrate()
    email, password = ensure_demo(settings)
    print(f"demo ready in {time.perf_counter() - started:.1f} s ({path})")

    app = create_app(settings, workers=0)

    async def bare() -> PlainTextResponse:
        return PlainTextResponse("ok")

    app.add_api_route("/bench-bare", bare, include_in_schema=False)
    with TestClient(app, follow_redirects=False) as client:
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text)
        assert token, "no CSRF token on the login page"
        signed = client.post("/login", data={"email": email, "password": password,
                                             "csrf_token": html.unescape(token.group(1))})
        assert signed.status_code == 303, signed.text[:300]
        inbox = client.get("/inbox").text
        case = re.search(r'href="/cases/(\d+)"', inbox)
        contact = None
        if case:
            contact = re.search(r'href="/contacts/(\d+)"', client.get(f"/cases/{case.group(1)}").text)
        incident = re.search(r'href="/incidents/(\d+)"', client.get("/incidents").text)
        long_pages: list[str] = []
        if args.long_case and case:
            lengthen(settings.database_url, int(case.group(1)), args.long_case)
            long_pages = [f"/cases/{case.group(1)}", f"/cases/{case.group(1)}?shown=5000"]
        pages = ["/bench-bare", *long_pages, "/inbox", f"/cases/{case.group(1)}" if case else None,
                 f"/contacts/{contact.group(1)}" if contact else None,
                 "/supervisor", "/supervisor/coverage", "/supervisor/staffing", "/supervisor/escalations",
                 "/supervisor/surveys", "/reports", "/reports/cases", "/reports/objectives",
                 "/listening", "/listening/clusters", "/listening/alerts", "/listening/settings",
                 "/incidents", f"/incidents/{incident.group(1)}" if incident else None,
                 "/posts", "/settings", "/settings/profile", "/settings/tokens", "/settings/sessions",
                 "/admin/people", "/admin/channels", "/admin/routing", "/admin/sla", "/admin/tone",
                 "/admin/templates", "/admin/tags", "/admin/surveys", "/admin/business", "/admin/webhooks",
                 "/admin/mail", "/admin/partners", "/admin/privacy", "/admin/retention", "/admin/audit",
                 "/admin/deliveries"]
        results: list[dict[str, Any]] = []
        chosen = [p for p in pages if p and (not args.only or p == "/bench-bare" or p in args.only
                                             or p in long_pages)]
        for page in dict.fromkeys(chosen):
            warm = client.get(page)  # warm: templates compiled, caches filled
            status = warm.status_code
            times = []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                client.get(page)
                times.append((time.perf_counter() - t0) * 1000)
            results.append({"page": page, "status": status, "median_ms": statistics.median(times),
                            "p95_ms": _percentile(times, 0.95), "kb": len(warm.content) / 1024})

    base = results[0]["median_ms"]
    print(f"\n{'page':32} {'status':>6} {'median ms':>10} {'p95 ms':>8} {'x bare':>7} {'KB':>7}")
    for r in results:
        flag = "  OVER 200 ms" if r["p95_ms"] > LIMIT_MS else ""
        print(f"{r['page']:32} {r['status']:>6} {r['median_ms']:>10.1f} {r['p95_ms']:>8.1f} "
              f"{r['median_ms'] / base:>7.1f} {r['kb']:>7.0f}{flag}")
    over = [r["page"] for r in results if r["p95_ms"] > LIMIT_MS]
    print(f"\n{len(over)} page(s) with a p95 over {LIMIT_MS:.0f} ms: {', '.join(over) or 'none'}")
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "system": platform.platform()}
    print(f"machine: {machine}")
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": args.runs, "machine": machine, "results": results},
                                              indent=2))


def lengthen(url: str, number: int, count: int) -> None:
    """``count`` more messages on case ``number``'s latest thread, the customer and the brand in turn."""
    from datetime import timedelta

    from sqlalchemy import select

    from compris.db import Database
    from compris.models import Case, Message

    db = Database(url)
    with db.transaction() as session:
        case = session.scalars(select(Case).where(Case.number == number)).first()
        assert case is not None
        last = session.scalars(select(Message).where(Message.case_id == case.id, Message.direction == "inbound")
                               .order_by(Message.sent_at.desc())).first()
        assert last is not None
        for i in range(count):
            inbound = i % 2 == 0
            session.add(Message(
                workspace_id=case.workspace_id, case_id=case.id, thread_id=last.thread_id,
                channel_account_id=last.channel_account_id, direction="inbound" if inbound else "outbound",
                visibility=last.visibility, text=f"Message {i} of a long conversation about the same booking.",
                sent_at=last.sent_at - timedelta(minutes=count - i),
                author_identity_id=last.author_identity_id if inbound else None, platform_message_id=f"long-{i}"))
    db.dispose()


def logging_off() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING)


if __name__ == "__main__":
    main()
