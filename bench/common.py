"""What several benches share: the machine's description, a run's summary (median, p95, max), a free loopback port.

A bench imports it as ``common`` (``bench/`` is on ``sys.path`` when a bench runs as a script; a bench loaded from
its file by a test puts its own folder there first).
"""

from __future__ import annotations

import math
import os
import platform
import socket
import statistics
import subprocess
from typing import Any


def machine() -> str:
    """The processor, cores, memory and Python the figures were measured with."""
    memory = ""
    try:
        memory = subprocess.run(["free", "-g"], capture_output=True, text=True, check=False).stdout.split("\n")[1]
        memory = f", {memory.split()[1]} GB RAM"
    except (OSError, IndexError):
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores{memory}, " \
           f"Python {platform.python_version()}"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    """Median, p95 and max of timings in seconds, and how many runs."""
    return {"median_s": round(statistics.median(values), 4), "p95_s": round(p95(values), 4),
            "max_s": round(max(values), 4), "runs": len(values)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tag_a_third(conn: Any, workspace_id: int) -> None:
    """Five tags in the workspace, on a third of its cases (one or two each, from the case number: the same cases
    every run), written on the server (PostgreSQL)."""
    from sqlalchemy import text

    params = {"w": workspace_id}
    conn.execute(text("""
        INSERT INTO tags (workspace_id, key, name, color, created_at)
        SELECT :w, k, initcap(replace(k, '-', ' ')), '#5b6475', now()
        FROM unnest(ARRAY['colis-perdu', 'retard', 'remboursement', 'vip', 'panne']) k"""), params)
    conn.execute(text("""
        INSERT INTO case_tags (workspace_id, case_id, tag_id, created_at)
        SELECT :w, c.id, t.id, now()
        FROM cases c JOIN (SELECT id, row_number() OVER (ORDER BY id) AS r FROM tags WHERE workspace_id = :w) t
             ON t.r = 1 + c.number % 5 OR (c.number % 7 = 0 AND t.r = 1 + (c.number + 2) % 5)
        WHERE c.workspace_id = :w AND c.number % 3 = 0"""), params)
