"""Draw the rows of the guard's ``train`` split (labels are added by hand afterwards; see LABELLING.md).

    python tests/replies/data/draw_train.py [--data ../shared/data] > rows.jsonl

The ``train`` split (``guard_train.jsonl``) is training data for the guard's learned component
(``compris.replies.guard.learned``): real replies **not** in ``guard_labelled.jsonl`` (deduplicated on normalised
text, like ``draw.py``), drawn seeded and reproducibly in strata that are rich in positives but rule-independent
(broad word groups; the guard is never run here): ``train:contact``, ``train:hours``, ``train:personal``, and a
``train:uniform`` stratum. Rows get ids ``t0001``... and ``split: "train"``. ``guard_labelled.jsonl`` and its
dev/test split are left alone.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from draw import _key, airlines, twcs  # type: ignore[import-not-found]
from draw import main as draw_main  # type: ignore[import-not-found]

SEED = 2020
HERE = Path(__file__).resolve().parent
#: rows per stratum, half per source
PER_STRATUM = {"uniform": 60, "contact": 100, "hours": 80, "personal": 100}
GROUPS: dict[str, re.Pattern[str]] = {
    "contact": re.compile(
        r"\b(contact|call|calling|phone|telephone|e-?mail|dm|link|team|department|desk|agent|office|store|"
        r"counter|reach|visit|website|form|claim|speak|customer (care|relations|service))\b",
        re.I,
    ),
    "hours": re.compile(
        r"\b(hours|open(s|ed)?|closed?|days?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|"
        r"weekends?|mon-fri|business|available|\d{1,2}(:\d\d)?\s?(am|pm)|\d{1,2}[:h]\d\d|tomorrow|morning)\b",
        re.I,
    ),
    "personal": re.compile(
        r"\b(name|number|#|address|e-?mail|confirmation|record locator|locator|reference|booking|order|account|"
        r"zip|post ?code|date of birth|dob|phone|details|info|ticket|membership|rewards?|aadvantage|skymiles)\b",
        re.I,
    ),
}


def _already_labelled() -> set[str]:
    keys: set[str] = set()
    with (HERE / "guard_labelled.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                keys.add(_key(json.loads(line)["reply"]))
    return keys


def draw(data: Path) -> list[dict[str, object]]:
    pools = {
        "twcs": list(twcs(data / "customer_support_on_twitter" / "twcs_sample.csv")),
        "airlines_raw": list(airlines(data / "airline_support_dialogs" / "airlines_raw.csv.bz2")),
    }
    rng = random.Random(SEED)
    taken = _already_labelled()
    out: list[dict[str, object]] = []

    def fresh(rows: list[dict[str, str | None]]) -> list[dict[str, str | None]]:
        return [r for r in rows if _key(r["reply"] or "") not in taken and len(_key(r["reply"] or "")) > 3]

    for stratum, size in PER_STRATUM.items():
        pattern = GROUPS.get(stratum)
        for rows in pools.values():
            cands = [r for r in fresh(rows) if pattern is None or pattern.search(r["reply"] or "")]
            for row in rng.sample(cands, min(size // 2, len(cands))):
                key = _key(row["reply"] or "")
                if key not in taken:
                    taken.add(key)
                    out.append({**row, "stratum": f"train:{stratum}", "split": "train"})
    for i, drawn in enumerate(out, 1):
        drawn["id"] = f"t{i:04d}"
    return out


def main(argv: list[str] | None = None) -> int:
    return draw_main(argv, draw, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
