"""Reads of the capability, always scoped to a workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from compris.models import Survey, SurveySettings

# --- settings ----------------------------------------------------------------------------------------------

SCALES = ("stars5", "faces5")

#: the questions shipped with Compris (an admin may change them and add languages)
DEFAULT_QUESTIONS: dict[str, str] = {
    "en": "How satisfied are you with the way we handled your request? "
          "Answer from 1 (not at all) to 5 (very satisfied).",
    "fr": "Êtes-vous satisfait(e) de la façon dont nous avons traité votre demande ? "
          "Répondez de 1 (pas du tout) à 5 (très satisfait).",
}
DEFAULT_COMMENT_QUESTIONS: dict[str, str] = {
    "en": "Thank you! Would you like to tell us more? Just reply to this message.",
    "fr": "Merci ! Souhaitez-vous nous en dire plus ? Répondez simplement à ce message.",
}
#: the line that carries the survey page's link, after the question
LINK_LINES: dict[str, str] = {
    "en": "Or answer here: {url}",
    "fr": "Ou répondez ici : {url}",
}


@dataclass(frozen=True)
class Effective:
    """The settings that apply to one channel account (its own row, else the workspace's, else the defaults:
    surveys off until an admin turns them on)."""

    enabled: bool = False
    delay_minutes: int = 60
    questions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_QUESTIONS))
    comment_questions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COMMENT_QUESTIONS))
    ask_comment: bool = True
    scale: str = "stars5"
    quiet_days: int = 30
    low_rating: int = 2
    reopen_on_low: bool = False
    link_days: int = 14
    #: the row these come from (None: the defaults) and whether it is the account's own
    row_id: int | None = None
    channel_account_id: int | None = None

    def question(self, language: str | None, default_language: str | None) -> tuple[str, str]:
        """The question in the customer's language, else the workspace's, else English (text, language)."""
        return _pick(self.questions or DEFAULT_QUESTIONS, language, default_language)

    def comment_question(self, language: str | None, default_language: str | None) -> tuple[str, str]:
        return _pick(self.comment_questions or DEFAULT_COMMENT_QUESTIONS, language, default_language)


def _pick(texts: dict[str, str], language: str | None, default_language: str | None) -> tuple[str, str]:
    for lang in (language, default_language, "en"):
        if lang and texts.get(lang):
            return texts[lang], lang
    lang = next(iter(sorted(texts)), "en")
    return texts.get(lang, ""), lang


def effective_of(row: SurveySettings | None) -> Effective:
    if row is None:
        return Effective()
    return Effective(
        enabled=row.enabled, delay_minutes=row.delay_minutes,
        questions={**DEFAULT_QUESTIONS, **{k: str(v) for k, v in (row.questions or {}).items() if v}},
        comment_questions={**DEFAULT_COMMENT_QUESTIONS,
                           **{k: str(v) for k, v in (row.comment_questions or {}).items() if v}},
        ask_comment=row.ask_comment, scale=row.scale, quiet_days=row.quiet_days, low_rating=row.low_rating,
        reopen_on_low=row.reopen_on_low, link_days=row.link_days, row_id=row.id,
        channel_account_id=row.channel_account_id)


def settings_row(session: Session, workspace_id: int, channel_account_id: int | None) -> SurveySettings | None:
    """The workspace's row (``channel_account_id`` None) or that account's own row, when there is one."""
    query = select(SurveySettings).where(SurveySettings.workspace_id == workspace_id)
    if channel_account_id is None:
        query = query.where(SurveySettings.channel_account_id.is_(None))
    else:
        query = query.where(SurveySettings.channel_account_id == channel_account_id)
    return session.scalar(query)


def settings_rows(session: Session, workspace_id: int) -> list[SurveySettings]:
    """The workspace's row first, then the accounts' overrides."""
    rows = session.scalars(select(SurveySettings).where(SurveySettings.workspace_id == workspace_id))
    return sorted(rows, key=lambda r: (r.channel_account_id is not None, r.channel_account_id or 0))


def effective(session: Session, workspace_id: int, channel_account_id: int | None) -> Effective:
    """The settings for surveys going out on ``channel_account_id``: the account's row overrides the workspace's."""
    if channel_account_id is not None:
        own = settings_row(session, workspace_id, channel_account_id)
        if own is not None:
            return effective_of(own)
    return effective_of(settings_row(session, workspace_id, None))


# --- a case's surveys --------------------------------------------------------------------------------------


def surveys_of_case(session: Session, workspace_id: int, case_id: int) -> list[Survey]:
    """The case's surveys, one per resolution cycle, latest first."""
    return list(session.scalars(
        select(Survey).where(Survey.workspace_id == workspace_id, Survey.case_id == case_id)
        .order_by(Survey.cycle.desc())))


def latest_of_case(session: Session, workspace_id: int, case_id: int) -> Survey | None:
    found = surveys_of_case(session, workspace_id, case_id)
    return found[0] if found else None


def survey_dict(survey: Survey) -> dict[str, Any]:
    """A survey as plain data (the API and the page)."""
    return {
        "id": survey.id, "case_id": survey.case_id, "cycle": survey.cycle, "state": survey.state,
        "skip_reason": survey.skip_reason, "send_at": survey.send_at, "sent_at": survey.sent_at,
        "channel_account_id": survey.channel_account_id, "network": survey.network, "agent_id": survey.agent_id,
        "team_id": survey.team_id, "language": survey.language, "scale": survey.scale, "rating": survey.rating,
        "score": survey.score, "answered_at": survey.answered_at, "answered_via": survey.answered_via,
        "comment": survey.comment, "commented_at": survey.commented_at,
    }
