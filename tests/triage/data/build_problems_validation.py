"""Rebuild ``problems_validation.csv`` from /work/shared/data (run once; the CSV is committed).

    PYTHONPATH=src python tests/triage/data/build_problems_validation.py [DATA_DIR]

* English: the held-out validation part of the airline tweets (``compris.triage.data.airline_sentiment``: never
  trained on by the fast heads), labelled by the set's own annotators: ``negativereason`` Cancelled Flight / Lost
  Luggage / Late Flight / Damaged Luggage -> a failure report (``failure=1``); ``airline_sentiment`` positive or
  neutral -> not one (``failure=0``, a random sample). Other negative reasons are left out (not every complaint
  is a failure report).
* French: tweets sent to the ISP Free (FreeMobilaChat), labelled by hand, one by one, by reading them: ``1`` when the
  customer reports a failure they suffer (outage, not activated, not received, no answer, blocked, refused refund,
  technician who did not come...), ``0`` when not (question, request with no failure, news, unrelated talk).
  Rants with no failure ("pire opérateur") and ambiguous fragments ("pareil ici") were skipped, not labelled.
  Handles and URLs are stripped before saving.
"""

from __future__ import annotations

import csv
import random
import re
import sys
from pathlib import Path

from compris.triage.data import airline_sentiment, default_data_dir

FAILURE_REASONS = ("Cancelled Flight", "Lost Luggage", "Late Flight", "Damaged Luggage")
#: tweet_id -> failure reported (1) or not (0), by hand
FRENCH: dict[str, int] = {
    # random sample (seed 20) of customers' tweets
    "003634": 1, "003412": 1, "000733": 1, "001273": 1, "003330": 1, "003011": 1, "000503": 1, "001589": 1,
    "002731": 0, "000835": 0, "000148": 1, "001990": 1, "001951": 1, "000389": 1, "000510": 1, "000614": 1,
    "001554": 1, "002284": 1, "002766": 1, "002148": 1, "001010": 1, "001545": 0, "002968": 0, "003384": 1,
    "001626": 1, "002055": 0, "000466": 1, "002977": 1, "002493": 1, "002356": 1, "000415": 1, "001001": 0,
    "002732": 0, "001187": 1, "000982": 1, "000474": 1, "000934": 1, "001233": 1, "003449": 0, "001390": 0,
    "001487": 1, "003432": 1, "001260": 1, "000810": 1, "002958": 1, "000584": 0, "000133": 1, "001308": 1,
    "003524": 1, "001122": 1, "002735": 1, "001138": 1, "000307": 1, "000091": 0, "003129": 1, "002922": 1,
    "001469": 1, "001372": 1, "000666": 1, "003458": 1, "001627": 1, "002846": 1, "003618": 1, "002140": 1,
    "000740": 1, "003049": 1, "001334": 0, "002659": 1, "002078": 1, "000764": 0, "000815": 1, "003528": 1,
    "000597": 1, "003430": 1, "002765": 1, "001664": 0, "001081": 0, "000290": 1, "000413": 1, "001439": 1,
    "000038": 1, "001538": 1, "003321": 1, "003691": 1, "001930": 1, "002213": 0, "002546": 1, "003654": 1,
    "000300": 0, "003284": 1, "000813": 1, "000583": 1, "002174": 1, "002665": 1, "001618": 0, "000089": 1,
    "000381": 0, "000532": 1, "001615": 0, "003098": 1, "000434": 1, "003257": 0, "001470": 1, "003263": 1,
    "000221": 1, "000149": 1, "002473": 1, "002416": 1,
    # second sample (seed 21) among tweets with thanks / questions / "possible", to get more non-failures
    "001399": 0, "001120": 0, "003007": 0, "000058": 0, "000235": 0, "002645": 0, "001097": 0, "002994": 0,
    "002895": 0, "001063": 0, "002819": 0, "001190": 0,
    "002252": 1, "003604": 1, "002620": 1, "002584": 1, "002743": 1, "001002": 1, "002710": 1, "002799": 1,
    "001200": 1, "000106": 1, "001934": 1, "002304": 1, "000410": 1, "000841": 1, "001193": 1, "000293": 1,
    "002355": 1, "002156": 1, "003212": 1, "002396": 1, "002835": 1, "002691": 1, "000643": 1, "003396": 1,
    "001923": 1, "000172": 1, "000513": 1, "000710": 1, "000155": 1, "002484": 1, "000920": 1, "002881": 1,
    "001765": 1, "000868": 1, "001016": 1, "003492": 1, "000245": 1, "002566": 1, "001198": 1, "000440": 1,
    "001049": 1, "003530": 1, "000419": 1, "000701": 1, "002897": 1, "002586": 1, "001746": 1, "002219": 1,
    "001442": 1, "003428": 1,
}
N_PER_REASON = 60
N_NOT_FAILURE = 150


def clean(text: str) -> str:
    text = re.sub(r"@\w+", "", text)
    text = re.sub(r"https?://\S+", "", text)
    return " ".join(text.split())


def build(data_dir: Path, out: Path) -> int:
    rng = random.Random(2026)
    rows: list[dict[str, str]] = []
    held_out = airline_sentiment(data_dir).validation
    for reason in FAILURE_REASONS:
        pool = [e for e in held_out if e.label == "negative" and e.extra.get("reason") == reason]
        for e in rng.sample(pool, min(N_PER_REASON, len(pool))):
            rows.append({"text": clean(e.text), "lang": "en", "failure": "1", "source": "airline", "note": reason})
    for label in ("positive", "neutral"):
        pool = [e for e in held_out if e.label == label]
        for e in rng.sample(pool, min(N_NOT_FAILURE, len(pool))):
            rows.append({"text": clean(e.text), "lang": "en", "failure": "0", "source": "airline", "note": label})
    with open(data_dir / "french_isp_tweets" / "free_tweets.csv", encoding="utf-8", newline="") as fh:
        french = {r["tweet_id"]: r["text"] for r in csv.DictReader(fh)}
    for tid, failure in FRENCH.items():
        rows.append({"text": clean(french[tid]), "lang": "fr", "failure": str(failure), "source": "free", "note": ""})
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["text", "lang", "failure", "source", "note"])
        writer.writeheader()
        writer.writerows(r for r in rows if r["text"])
    return len(rows)


if __name__ == "__main__":
    where = Path(sys.argv[1]) if len(sys.argv) > 1 else default_data_dir()
    n = build(where, Path(__file__).with_name("problems_validation.csv"))
    print(f"{n} rows")
