"""The reply guard engine: prepared draft, rule registry, and ``check``."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from compris.triage.language import detect

from . import text as T
from .messages import message, ui_lang
from .model import Finding, Fix, GuardContext, GuardSettings, Severity
from .patterns import PATTERN_LANGUAGES, PATTERNS, LangPatterns


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule returns: where, the message key and its parameters, and an optional fix."""

    span: tuple[int, int] | None = None
    params: dict[str, str] = field(default_factory=dict)
    fix: Fix | None = None
    message_key: str | None = None


class Draft:
    """A draft prepared once for all rules (sentences, languages), computed lazily."""

    def __init__(self, text: str, ctx: GuardContext, settings: GuardSettings) -> None:
        self.text = text
        self.ctx = ctx
        self.settings = settings
        self.lang = ui_lang(ctx.ui_language)

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        return T.sentences(self.text)

    def sentence_at(self, pos: int) -> tuple[int, int]:
        for start, end in self.sentences:
            if start <= pos < end:
                return start, end
        return 0, len(self.text)

    def sentence_text(self, pos: int) -> str:
        start, end = self.sentence_at(pos)
        return self.text[start:end]

    def sentence_window(self, pos: int) -> str:
        """The sentence at ``pos`` with the one before and the one after it."""
        start, end = self.sentence_at(pos)
        before = [s for s, _ in self.sentences if s < start]
        after = [e for s, e in self.sentences if s >= end]
        return self.text[before[-1] if before else start : after[0] if after else end]

    @cached_property
    def detected_language(self) -> tuple[str, float] | None:
        """The draft's language if detection is reliable, else None."""
        if self.ctx.draft_language:
            return _primary(self.ctx.draft_language), 1.0
        stripped = T.strip_handles(self.text)
        if T.letter_count(stripped) < self.settings.min_detect_letters:
            return None
        code, confidence = detect(stripped)
        reliable = T.reliable_language(_primary(code), confidence, stripped)
        if reliable is None or confidence < 0.5:
            return None
        return reliable, confidence

    @cached_property
    def pattern_languages(self) -> tuple[str, ...]:
        """Which pattern sets apply: the draft's language when known and supported, else all of them."""
        found = self.detected_language
        if found is not None and found[0] in PATTERNS:
            return (found[0],)
        return PATTERN_LANGUAGES

    @cached_property
    def patterns(self) -> tuple[LangPatterns, ...]:
        return tuple(PATTERNS[code] for code in self.pattern_languages)

    @property
    def all_patterns(self) -> tuple[LangPatterns, ...]:
        return tuple(PATTERNS[code] for code in PATTERN_LANGUAGES)

    @staticmethod
    def patterns_for(code: str) -> LangPatterns:
        return PATTERNS[code]

    def finditer(self, pick: Callable[[LangPatterns], re.Pattern[str]]) -> Iterator[re.Match[str]]:
        """Matches of one pattern across the applicable languages (overlapping matches dropped)."""
        seen: list[tuple[int, int]] = []
        for pats in self.patterns:
            for m in pick(pats).finditer(self.text):
                if any(m.start() < e and s < m.end() for s, e in seen):
                    continue
                seen.append((m.start(), m.end()))
                yield m

    def search_any(self, pick: Callable[[LangPatterns], re.Pattern[str]], text: str) -> re.Match[str] | None:
        for pats in self.patterns:
            m = pick(pats).search(text)
            if m is not None:
                return m
        return None


def _primary(code: str) -> str:
    return code.split("-")[0].split("_")[0].lower()


RuleFunc = Callable[[Draft], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered rule: stable id, default severity, and the function that finds hits."""

    id: str
    default_severity: Severity
    func: RuleFunc
    description: str = ""


RULES: list[Rule] = []


def rule(rule_id: str, severity: Severity, description: str = "") -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule function (decorator). Rules run in registration order."""

    def register(func: RuleFunc) -> RuleFunc:
        if any(r.id == rule_id for r in RULES):
            raise ValueError(f"rule {rule_id!r} registered twice")
        RULES.append(Rule(rule_id, severity, func, description or (func.__doc__ or "").strip()))
        return func

    return register


def rule_ids() -> list[str]:
    return [r.id for r in RULES]


def check(draft: str, ctx: GuardContext | None = None, settings: GuardSettings | None = None) -> list[Finding]:
    """Run every enabled rule over ``draft``; findings sorted by position (draft-wide ones last)."""
    ctx = ctx or GuardContext()
    settings = settings or GuardSettings()
    prepared = Draft(draft, ctx, settings)
    findings: list[tuple[int, int, Finding]] = []
    for order, r in enumerate(RULES):
        if r.id in settings.disabled:
            continue
        severity: Severity = settings.severity.get(r.id, r.default_severity)
        for hit in r.func(prepared):
            text = message(hit.message_key or r.id, prepared.lang, **hit.params)
            finding = Finding(rule=r.id, severity=severity, message=text, span=hit.span, fix=hit.fix)
            position = hit.span[0] if hit.span is not None else len(draft) + 1
            findings.append((position, order, finding))
    findings.sort(key=lambda item: (item[0], item[1]))
    return [f for _, _, f in findings]


@lru_cache(maxsize=256)
def compiled(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """Workspace-supplied patterns, compiled once per distinct pattern."""
    return re.compile(pattern, flags)
