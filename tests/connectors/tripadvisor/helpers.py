"""A Tripadvisor location connected in a test workspace, read from the Content API's stand-in by the poll job."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from compris.config import Settings
from compris.connectors import fixture
from compris.inbox.polling import POLL_ACCOUNT
from compris.models import Case, ChannelAccount, Job, Message
from compris.runtime import Runtime
from compris.worker.queue import enqueue
from tests.conftest import World

from ..roundtrip import RoundTrip
from ..standin import Reply, StandIn

LOCATION = "188150"
KEY = "TA-key-0123456789ABCDEF"
REVIEWS = f"/api/v1/location/{LOCATION}/reviews"
#: the 2-star review of reviews_en.json (its review id)
LOW = "987654321"


def connect(settings: Settings, runtime: Runtime, world: World, api: StandIn,
            workspace_id: int | None = None) -> RoundTrip:
    api.on("GET", REVIEWS, Reply(200, fixture("tripadvisor", "reviews_en.json")))
    return RoundTrip(settings, runtime, world, network="tripadvisor", external_id=LOCATION,
                     secrets={"api_key": KEY}, workspace_id=workspace_id,
                     account_settings={"api_base": f"{api.base_url}/api/v1", "languages": "en", "poll_minutes": "0"})


def poll(trip: RoundTrip, workspace_id: int | None = None) -> None:
    """One poll of the account by the poll job (the periodic fan-out would enqueue it every minute)."""
    with trip.runtime.db.transaction() as session:
        enqueue(session, trip.runtime.publisher, workspace_id=workspace_id or trip.world.workspace_id,
                kind=POLL_ACCOUNT, payload={"account_id": trip.account_id}, dedupe_key=None)
    trip.world.run_jobs()


def account(trip: RoundTrip) -> ChannelAccount:
    with trip.runtime.db.transaction() as session:
        row = session.get(ChannelAccount, trip.account_id)
        assert row is not None
        return row


def case_of(trip: RoundTrip, message: Message) -> Case:
    with trip.runtime.db.transaction() as session:
        case = session.get(Case, message.case_id)
        assert case is not None
        return case


def send_jobs(trip: RoundTrip) -> list[Job]:
    with trip.runtime.db.transaction() as session:
        return list(session.scalars(select(Job).where(Job.kind == "inbox.send_reply")))


def review(review_id: int, date: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = copy.deepcopy(fixture("tripadvisor", "reviews_en.json")["data"][0])
    base.update({"id": review_id, "published_date": date,
                 "url": f"https://www.tripadvisor.com/ShowUserReviews-g187147-d188150-r{review_id}-Hotel.html",
                 **fields})
    return base
