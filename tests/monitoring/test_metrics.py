"""Monitoring (issue 22, item 6): ``/metrics`` in Prometheus' text format — who may read it, the process's own
counters (HTTP requests by route template, messages taken in, replies by outcome, jobs, SLA passes) and the
database's figures (job queue depth and age per lane, ingest backlog, replies not finished); the same from
``compris worker --metrics-port``."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from compris.config import Settings
from compris.inbox.actions.outbox import queue_outbound
from compris.kit.clock import now
from compris.listening.clusters import CLUSTER_JOB
from compris.models import Case, Job
from compris.monitoring.serve import serve_metrics
from compris.runtime import Runtime
from compris.web.app import create_app
from compris.worker.queue import BACKGROUND_LANE, enqueue
from tests.conftest import World

LOCAL = ("127.0.0.1", 50000)


def _client(settings: Settings, runtime: Runtime, client: tuple[str, int] = LOCAL) -> TestClient:
    return TestClient(create_app(settings, runtime, workers=0), follow_redirects=False, client=client)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _jobs_done() -> float:
    return sum(sample.value for family in REGISTRY.collect() if family.name == "compris_jobs_finished"
               for sample in family.samples
               if sample.name == "compris_jobs_finished_total" and sample.labels.get("outcome") == "done")


def test_only_this_machine_reads_the_metrics_without_a_token(settings: Settings, runtime: Runtime) -> None:
    assert _client(settings, runtime).get("/metrics").status_code == 200
    refused = _client(settings, runtime, client=("203.0.113.9", 5000)).get("/metrics")
    assert refused.status_code == 403 and "COMPRIS_METRICS_TOKEN" in refused.json()["error"]
    # behind a proxy on this machine: the request was forwarded, it is not a local client
    forwarded = _client(settings, runtime).get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 403


def test_with_a_token_the_scraper_must_send_it(settings: Settings, runtime: Runtime) -> None:
    guarded = settings.model_copy(update={"metrics_token": "s3cret-scrape"})
    remote = _client(guarded, runtime, client=("203.0.113.9", 5000))
    assert remote.get("/metrics").status_code == 403
    assert remote.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    answer = remote.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    assert "compris_database_up 1.0" in answer.text


def test_requests_are_counted_by_route_template_with_a_request_id(settings: Settings, runtime: Runtime) -> None:
    client = _client(settings, runtime)
    before = _value("compris_http_requests_total", method="GET", route="/cases/{number}", status="303")
    unmatched = _value("compris_http_requests_total", method="GET", route="<unmatched>", status="404")
    first = client.get("/cases/41")
    client.get("/cases/42")
    client.get("/no/such/page/123")
    assert first.status_code == 303  # not signed in: to the login page
    assert _value("compris_http_requests_total", method="GET", route="/cases/{number}", status="303") == before + 2
    assert _value("compris_http_requests_total", method="GET", route="<unmatched>", status="404") == unmatched + 1
    assert _value("compris_http_request_duration_seconds_count", method="GET", route="/cases/{number}") >= 2
    # every answer names its request (a proxy's id is kept when it is a safe token, replaced otherwise)
    assert len(first.headers["x-request-id"]) == 32
    assert client.get("/login", headers={"X-Request-ID": "lb-7f3a.1"}).headers["x-request-id"] == "lb-7f3a.1"
    assert client.get("/login", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"] != "bad id\n"


def test_ingest_replies_and_the_queue_are_measured(settings: Settings, runtime: Runtime, world: World) -> None:
    client = _client(settings, runtime)
    received = _value("compris_inbound_messages_total", network="sandbox", how="opened")
    raw, headers = world.body(world.payload("My bag did not arrive", author="cust-m1"))
    assert client.post(f"/webhooks/{world.account.id}", content=raw, headers=headers).status_code == 200

    # before the workers run: the delivery waits, and the inbound job is in the default lane's backlog
    shown = _samples(client.get("/metrics").text)
    assert shown[("compris_inbound_events_pending", ())] == 1
    assert shown[("compris_job_queue_depth", (("lane", "default"),))] >= 1
    assert shown[("compris_job_queue_oldest_age_seconds", (("lane", "default"),))] >= 0
    assert ("compris_job_queue_depth", (("lane", BACKGROUND_LANE),)) in shown  # every lane, even empty

    done = _jobs_done()
    world.run_jobs()
    assert _value("compris_inbound_messages_total", network="sandbox", how="opened") == received + 1
    assert _jobs_done() > done
    shown = _samples(client.get("/metrics").text)
    assert shown[("compris_inbound_events_pending", ())] == 0
    assert shown[("compris_inbound_events_oldest_age_seconds", ())] == 0

    # a reply the sandbox cannot take (its API is unreachable here): a failed attempt, to be retried
    retrying = _value("compris_replies_total", network="sandbox", outcome="retrying")
    with runtime.db.transaction() as session:
        case = session.scalars(select(Case).where(Case.workspace_id == world.workspace_id)).one()
        queue_outbound(session, runtime.publisher, case=case, text="Sorry, looking now", visibility="public")
    world.run_jobs()
    assert _value("compris_replies_total", network="sandbox", outcome="retrying") == retrying + 1
    shown = _samples(client.get("/metrics").text)
    assert shown[("compris_outbox_replies", (("network", "sandbox"), ("state", "retrying")))] == 1

    # a background job due for a minute: the background lane's backlog and its age
    with runtime.db.transaction() as session:
        enqueue(session, runtime.publisher, workspace_id=world.workspace_id, kind=CLUSTER_JOB, payload={})
        job = session.scalars(select(Job).where(Job.kind == CLUSTER_JOB)).one()
        job.run_at = now() - timedelta(minutes=1)
    shown = _samples(client.get("/metrics").text)
    assert shown[("compris_job_queue_depth", (("lane", BACKGROUND_LANE),))] == 1
    assert shown[("compris_job_queue_oldest_age_seconds", (("lane", BACKGROUND_LANE),))] >= 59


def test_a_worker_process_serves_its_metrics_on_its_own_port(runtime: Runtime) -> None:
    server = serve_metrics(runtime.db, host="127.0.0.1", port=0, token="tok")
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert httpx.get(f"{base}/metrics").status_code == 403
        answer = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer tok"})
        assert answer.status_code == 200 and "compris_job_queue_depth" in answer.text
        assert httpx.get(f"{base}/other", headers={"Authorization": "Bearer tok"}).status_code == 404
    finally:
        server.shutdown()
        server.server_close()
