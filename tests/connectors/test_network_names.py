"""Per-network facts live in the connectors: no module outside ``compris/connectors`` names a network to decide.

Adding a network must mean adding a connector folder only. This scans the source for network names used in
comparisons, in ``in`` tests, in collections named after networks or channels and in tables keyed by network.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from compris.connectors import registry

SRC = Path(__file__).resolve().parents[2] / "src" / "compris"
#: the connectors themselves; the sandbox platform (a stand-in for the networks, with their look, not Compris);
#: the demo script and its data (they create sandbox accounts by name)
EXEMPT = ("connectors", "sandbox_network", "demo.py", "demo_data", "migrations")
#: networks Compris has no connector for yet, but that a hand-written rule would name
KNOWN = frozenset({"twitter", "mastodon", "bluesky", "threads", "linkedin", "tiktok", "telegram", "youtube",
                   "messenger", "sms"})


def network_names() -> frozenset[str]:
    names = set(KNOWN)
    for network, connector in registry.connectors().items():
        names.add(network)
        names.update(connector.aliases)
    return frozenset(names)


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value.lower()]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [s for e in node.elts for s in _strings(e)]
    if isinstance(node, ast.Call) and node.args:  # frozenset({...}), set((...))
        return _strings(node.args[0])
    return []


def _about_networks(source: str) -> bool:
    lowered = source.lower()
    return any(word in lowered for word in ("network", "channel", "flavour", "platform"))


def offences(text: str, where: str, names: frozenset[str]) -> Iterator[str]:
    """Where the module ``text`` (named ``where`` in the messages) decides by one of ``names``."""
    tree = ast.parse(text, filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for i, side in enumerate(sides):
                found = [s for s in _strings(side) if s in names]
                if not found:  # the source segments cost a pass over the file each: only where a name was found
                    continue
                others = [ast.get_source_segment(text, o) or "" for j, o in enumerate(sides) if j != i]
                if any(_about_networks(o) for o in others):
                    yield f"{where}:{node.lineno}: compares with {', '.join(found)}"
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            found = [s for s in _strings(node.value) if s in names] if node.value is not None else []
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            labels = " ".join(ast.get_source_segment(text, t) or "" for t in targets) if found else ""
            if found and _about_networks(labels):
                yield f"{where}:{node.lineno}: {labels} lists {', '.join(found)}"
        if isinstance(node, ast.Dict):
            keys = [k.value.lower() for k in node.keys
                    if isinstance(k, ast.Constant) and isinstance(k.value, str) and k.value.lower() in names]
            if len(keys) >= 2:
                yield f"{where}:{node.lineno}: a table keyed by network ({', '.join(keys)})"


def scanned() -> list[Path]:
    return [p for p in sorted(SRC.rglob("*.py"))
            if not any(part in EXEMPT for part in p.relative_to(SRC).parts)]


def test_no_module_outside_the_connectors_decides_by_network_name() -> None:
    names = network_names()
    found = [o for path in scanned()
             for o in offences(path.read_text(encoding="utf-8"), str(path.relative_to(SRC.parent)), names)]
    assert found == [], "per-network facts belong to the connector:\n" + "\n".join(found)


@pytest.mark.parametrize("code", [
    'if account.network in ("x", "twitter"):\n    pass\n',
    'MENTION_NETWORKS = frozenset({"x", "mastodon"})\n',
    'ok = place.network == "facebook"\n',
    'LIMITS = {"x": 280, "bluesky": 300}\n',
    'rows = select(ChannelAccount).where(ChannelAccount.network == "whatsapp")\n',
])
def test_the_scan_sees_the_usual_shapes(code: str) -> None:
    assert list(offences(code, "probe.py", network_names())), code


def test_the_scan_leaves_units_and_other_words_alone() -> None:
    code = 'if ctx.length_unit == "x":\n    pass\nif kind == "email":\n    pass\nKINDS = ("email", "phone")\n'
    assert list(offences(code, "probe.py", network_names())) == []
