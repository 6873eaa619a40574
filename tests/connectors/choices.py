"""The answers a survey offers, as the connectors' choice tests use them."""

from __future__ import annotations

from compris.connectors.base import Choice

RATINGS = tuple(Choice(label="⭐" * n, payload=f"csat:42:{n}", url=f"https://compris.example/s/tok?r={n}")
                for n in range(5, 0, -1))
THREE = RATINGS[:3]
