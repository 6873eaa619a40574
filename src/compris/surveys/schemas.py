"""API shapes (request and response bodies) of the capability."""

from __future__ import annotations

from pydantic import Field

from compris.kit.schemas import Schema, Timestamp

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
