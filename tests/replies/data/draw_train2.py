"""Draw the rows of the guard's second ``train`` round (``train2:*`` strata; labels are added by hand afterwards,
see LABELLING.md).

    python tests/replies/data/draw_train2.py [--data ../shared/data] > rows.jsonl

Why a second round: after the first (``draw_train.py``), the real positives of the guard's target rules were still
few (7 ``office_hours``, 18 ``asks_personal_data``, 84 ``send_elsewhere`` in dev + train), and the learned
component's cross-validation said more positives were what it lacked. Same sources, same rules as the first round:
real replies **not** already in ``guard_labelled.jsonl`` or ``guard_train.jsonl`` (deduplicated on normalised
text), drawn seeded and reproducibly in word-group strata — never by running the guard or its model:

- ``train2:hours_contact`` — a time-of-day, day or opening word **and** a contact word in the same reply (the
  office-hours deflections are a phone line, a team or a chat given with its hours: rare, so the stratum is
  narrower than the first round's ``hours``);
- ``train2:contact`` — the first round's broad contact words;
- ``train2:personal_ask`` — a personal-data noun in a reply that asks something (a question mark, or "please
  send/provide/share/include/confirm/tell/let us know");
- ``train2:uniform`` — a uniform sample.

Rows get ids ``t0341``... (after the first round's ``t0340``) and ``split: "train"``.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from draw import _key, airlines, twcs  # type: ignore[import-not-found]
from draw import main as draw_main  # type: ignore[import-not-found]
from draw_train import GROUPS  # type: ignore[import-not-found]

SEED = 2021
HERE = Path(__file__).resolve().parent
FIRST_ID = 341
#: rows per stratum, half per source
PER_STRATUM = {"hours_contact": 100, "contact": 120, "personal_ask": 120, "uniform": 60}
_ASKS = re.compile(r"\?|\b(please|pls|kindly)\b.{0,40}\b(send|provide|share|include|confirm|tell|let us know|"
                   r"give|reply with|post)\b|\bcan (you|we) (get|have)\b|\bwhat('s| is) (the|your)\b", re.I)
STRATA: dict[str, list[re.Pattern[str]]] = {
    "hours_contact": [GROUPS["hours"], GROUPS["contact"]],
    "contact": [GROUPS["contact"]],
    "personal_ask": [GROUPS["personal"], _ASKS],
    "uniform": [],
}


#: the train rounds drawn by this module, in the order they were drawn
ROUNDS = ("train2", "train3")


def _taken(before_round: str) -> set[str]:
    """The replies labelled before this round (the labelled set, the first train round, the earlier rounds here):
    its own rows and later rounds', labelled since, are not excluded, so that the draw gives the same rows again."""
    later = tuple(f"{r}:" for r in ROUNDS[ROUNDS.index(before_round):])
    keys: set[str] = set()
    for name in ("guard_labelled.jsonl", "guard_train.jsonl"):
        with (HERE / name).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    if not str(row.get("stratum", "")).startswith(later):
                        keys.add(_key(row["reply"]))
    return keys


def draw_round(data: Path, round_name: str, seed: int, per_stratum: dict[str, int],
               first_id: int) -> list[dict[str, object]]:
    """A train round: ``per_stratum`` rows per stratum of :data:`STRATA` (half per source), seeded, none labelled
    before the round; stratum ``<round_name>:<stratum>``, ids from ``t<first_id>``."""
    pools = {
        "twcs": list(twcs(data / "customer_support_on_twitter" / "twcs_sample.csv")),
        "airlines_raw": list(airlines(data / "airline_support_dialogs" / "airlines_raw.csv.bz2")),
    }
    rng = random.Random(seed)
    taken = _taken(round_name)
    out: list[dict[str, object]] = []
    for stratum, size in per_stratum.items():
        patterns = STRATA[stratum]
        for rows in pools.values():
            cands = [r for r in rows if len(_key(r["reply"] or "")) > 3 and _key(r["reply"] or "") not in taken
                     and all(p.search(r["reply"] or "") for p in patterns)]
            for row in rng.sample(cands, min(size // 2, len(cands))):
                key = _key(row["reply"] or "")
                if key not in taken:
                    taken.add(key)
                    out.append({**row, "stratum": f"{round_name}:{stratum}", "split": "train"})
    for i, drawn in enumerate(out, first_id):
        drawn["id"] = f"t{i:04d}"
    return out


def draw(data: Path) -> list[dict[str, object]]:
    return draw_round(data, "train2", SEED, PER_STRATUM, FIRST_ID)


def main(argv: list[str] | None = None) -> int:
    return draw_main(argv, draw, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
