"""The survey page's signed link: ``<base_url>/s/<token>`` (purpose ``survey``), naming the workspace and the
survey, with an expiry (the settings' ``link_days`` from when the survey was sent). With ``r`` it is a one-click
rating link (e-mail): opening it records that rating, once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from compris.kit.signing import LinkError, link_token, read_link_token
from compris.models import Survey

PURPOSE = "survey"
PREFIX = "/s/"


@dataclass(frozen=True)
class SurveyRef:
    workspace_id: int
    survey_id: int
    rating: int | None


def token_for(secret_key: str, survey: Survey, at: datetime, days: int, rating: int | None = None) -> str:
    payload: dict[str, int] = {"w": survey.workspace_id, "s": survey.id}
    if rating is not None:
        payload["r"] = int(rating)
    return link_token(secret_key, PURPOSE, payload, at + timedelta(days=max(1, days)))


def url_for(base_url: str, secret_key: str, survey: Survey, at: datetime, days: int,
            rating: int | None = None) -> str:
    return f"{base_url.rstrip('/')}{PREFIX}{token_for(secret_key, survey, at, days, rating)}"


def read(secret_key: str, token: str, at: datetime) -> SurveyRef:
    data = read_link_token(secret_key, PURPOSE, token, at)
    try:
        rating = data.get("r")
        return SurveyRef(int(data["w"]), int(data["s"]), int(rating) if rating is not None else None)
    except (KeyError, TypeError, ValueError):
        raise LinkError("malformed link") from None
