"""Draw the rows of the guard's third ``train`` round (``train3:*`` strata; labels are added by hand afterwards,
see LABELLING.md).

    python tests/replies/data/draw_train3.py [--data ../shared/data] > rows.jsonl

After the second round (``draw_train2.py``) the public data requests were still the rule whose held-out recall
had not moved, and office-hours deflections the rarest positives: this round weighs them more. Same sources,
same exclusions (rows already in ``guard_labelled.jsonl`` or ``guard_train.jsonl``), same word-group strata as the
second round (never the guard or its model), another seed: ``train3:personal_ask`` (160), ``train3:hours_contact``
(80), ``train3:contact`` (70), ``train3:uniform`` (40). Ids ``t0695``... and ``split: "train"``.
"""

from __future__ import annotations

from pathlib import Path

from draw import main as draw_main  # type: ignore[import-not-found]
from draw_train2 import draw_round  # type: ignore[import-not-found]

SEED = 2022
FIRST_ID = 695
PER_STRATUM = {"personal_ask": 160, "hours_contact": 80, "contact": 70, "uniform": 40}


def draw(data: Path) -> list[dict[str, object]]:
    return draw_round(data, "train3", SEED, PER_STRATUM, FIRST_ID)


def main(argv: list[str] | None = None) -> int:
    return draw_main(argv, draw, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
