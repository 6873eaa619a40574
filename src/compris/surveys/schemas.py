"""API shapes (request and response bodies) of the capability.

Settings: the workspace's (``PATCH /surveys/settings``) and each channel account's own, which override them
(``PATCH /surveys/settings/accounts/{id}``); a change body holds only what changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

QUESTIONS_HELP = ("One text per language code (`en`, `fr`, more allowed); the customer's language is used, else the "
                  "workspace's, else English. A language left out keeps the text shipped with Compris.")


class SurveySettingsOut(Schema):
    channel_account_id: int | None = Field(description="null: the workspace's settings; else this account's own.",
                                           examples=[None])
    own: bool = Field(description="False when these are inherited (the account has no row of its own, or the "
                                  "workspace none yet: surveys off).", examples=[True])
    enabled: bool = Field(examples=[True])
    delay_minutes: int = Field(description="How long after the resolution the survey goes out.", examples=[60])
    questions: dict[str, str] = Field(description=QUESTIONS_HELP,
                                      examples=[{"en": "How satisfied are you?", "fr": "Êtes-vous satisfait ?"}])
    comment_questions: dict[str, str] = Field(description="The follow-up question, per language.",
                                              examples=[{"en": "Tell us more?"}])
    ask_comment: bool = Field(description="Ask for a comment after a rating on the channel.", examples=[True])
    scale: Literal["stars5", "faces5"] = Field(description="1–5 stars or five emoji faces (CSAT: 4 and 5 are "
                                                           "satisfied).", examples=["stars5"])
    quiet_days: int = Field(description="No survey for a customer surveyed that recently.", examples=[30])
    low_rating: int = Field(description="A rating at or under this alerts the supervisors (0: never).",
                            examples=[2])
    reopen_on_low: bool = Field(description="A low rating reopens the case for a follow-up.", examples=[False])
    link_days: int = Field(description="How long the survey's link and an answer on the channel are accepted.",
                           examples=[14])


class SurveySettingsList(Schema):
    workspace: SurveySettingsOut
    accounts: list[SurveySettingsOut] = Field(description="The accounts with settings of their own.")


class SurveySettingsPatch(Schema):
    enabled: bool | None = None
    delay_minutes: int | None = Field(default=None, ge=0, le=20160, examples=[60])
    questions: dict[str, str] | None = Field(default=None, description=QUESTIONS_HELP)
    comment_questions: dict[str, str] | None = None
    ask_comment: bool | None = None
    scale: Literal["stars5", "faces5"] | None = None
    quiet_days: int | None = Field(default=None, ge=0, le=365, examples=[30])
    low_rating: int | None = Field(default=None, ge=0, le=4, examples=[2])
    reopen_on_low: bool | None = None
    link_days: int | None = Field(default=None, ge=1, le=90, examples=[14])


class CaseSurveyOut(Schema):
    id: int = Field(examples=[12])
    cycle: int = Field(description="The how-many-th resolution of the case it follows.", examples=[1])
    state: Literal["scheduled", "sent", "answered", "skipped", "cancelled"] = Field(examples=["answered"])
    skip_reason: str | None = Field(description="Why no survey went out: disabled, internal_only, spam, no_reply, "
                                    "recently_surveyed, no_channel, public_only, window_closed, send_failed.",
                                    examples=[None])
    send_at: datetime | None = None
    sent_at: datetime | None = None
    channel_account_id: int | None = None
    network: str | None = Field(default=None, examples=["sandbox"])
    agent_id: int | None = Field(default=None, description="The agent who had the case when it was resolved.")
    team_id: int | None = None
    language: str = Field(examples=["fr"])
    scale: str = Field(examples=["stars5"])
    rating: int | None = Field(default=None, examples=[5])
    score: int | None = Field(default=None, description="The rating on 0–100.", examples=[100])
    answered_at: datetime | None = None
    answered_via: str | None = Field(default=None, description="button, text, link or email.", examples=["button"])
    comment: str | None = None
    commented_at: datetime | None = None


class CaseSurveyList(Schema):
    items: list[CaseSurveyOut]


# --- results (CSAT, response rate; the list of surveys) -------------------------------------------------------



class ResultFiguresOut(Schema):
    sent: int = Field(description="Surveys sent in the range (or the group).", examples=[120])
    answered: int = Field(description="Of them, answered with a rating.", examples=[54])
    satisfied: int = Field(description="Answers on the top two points of the scale (4 or 5 of 5).", examples=[45])
    response_rate: float | None = Field(description="answered / sent, in percent; null when nothing was sent.",
                                        examples=[45.0])
    csat: float | None = Field(description="satisfied / answered, in percent; null without answers.",
                               examples=[83.3])
    average_rating: float | None = Field(description="The mean rating (1–5); null without answers.",
                                         examples=[4.21])
    average_score: float | None = Field(description="The mean score on 0–100; null without answers.",
                                        examples=[80.2])


class ResultRowOut(ResultFiguresOut):
    key: int | str | None = Field(description="The agent's, team's or channel account's id, the network's name, "
                                  "or the period's first day (YYYY-MM-DD); null: no agent / team / account.",
                                  examples=[7])
    label: str = Field(description="Its name (empty for null).", examples=["Alice Martin"])


class ResultsOut(Schema):
    group_by: str = Field(examples=["agent"])
    period: str = Field(description="The period's length when grouped by period.", examples=["week"])
    from_: str = Field(alias="from", description="First local day of the range (included).",
                       examples=["2026-11-01"])
    to: str = Field(description="Last local day of the range (included).", examples=["2026-11-30"])
    timezone: str = Field(description="The workspace's time zone, in which days and periods are cut.",
                          examples=["Europe/Paris"])
    total: ResultFiguresOut
    rows: list[ResultRowOut]


class SurveyOut(Schema):
    id: int = Field(examples=[31])
    case_number: int = Field(examples=[1042])
    cycle: int = Field(description="The how-many-th resolution of the case it follows.", examples=[1])
    state: str = Field(description="scheduled, sent, answered, skipped or cancelled.", examples=["answered"])
    skip_reason: str | None = Field(examples=[None])
    network: str | None = Field(examples=["messenger"])
    channel_account_id: int | None = Field(examples=[2])
    agent_id: int | None = Field(examples=[7])
    team_id: int | None = Field(examples=[3])
    language: str = Field(examples=["fr"])
    scale: str = Field(description="stars5 or faces5.", examples=["stars5"])
    send_at: Timestamp | None = None
    sent_at: Timestamp | None = None
    rating: int | None = Field(examples=[4])
    score: int | None = Field(description="The rating on 0–100.", examples=[75])
    satisfied: bool | None = Field(description="Whether the rating counts as satisfied (CSAT).", examples=[True])
    answered_at: Timestamp | None = None
    answered_via: str | None = Field(description="button, text, link or email.", examples=["link"])
    comment: str | None = Field(description="The customer's comment (plain text, untrusted).",
                                examples=["Quick and kind, thanks"])
    commented_at: Timestamp | None = None


class SurveyList(Schema):
    total: int = Field(description="How many surveys match the filters.", examples=[54])
    items: list[SurveyOut]
