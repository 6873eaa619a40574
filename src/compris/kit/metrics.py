"""The process's own metrics (Prometheus), defined once here so that any layer may count (issue 22, item 6).

These live in the process that does the work: a web process counts its HTTP requests; the process running the
job workers (``compris serve`` with in-process workers, or each ``compris worker``) counts jobs, messages taken in
and sends. ``compris.monitoring`` adds the figures read from the database at scrape time (queue depth and age,
ingest backlog, replies waiting), which are the same whichever process is asked. See ``docs/deployment.md`` →
Monitoring.

Labels are bounded: route *templates* (``/cases/{number}``), job kinds, network keys, outcomes — never a user, a
case or a free text.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = [
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "INBOUND_MESSAGES",
    "JOBS_FINISHED",
    "JOB_DURATION",
    "REPLIES",
    "SLA_PASS_CASES",
    "SLA_PASS_DURATION",
]

#: seconds; web requests are expected in tens of milliseconds, a slow page in seconds
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: seconds; jobs range from a millisecond (an SLA check with nothing due) to minutes (a rebuild, a poll)
_JOB_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "compris_http_requests", "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "compris_http_request_duration_seconds", "Time to answer an HTTP request (to its first byte for a stream), by "
    "method and route template.", ["method", "route"], buckets=_HTTP_BUCKETS)

JOBS_FINISHED = Counter(
    "compris_jobs_finished", "Job runs, by kind, lane and outcome (done, retry, failed).", ["kind", "lane", "outcome"])
JOB_DURATION = Histogram(
    "compris_job_duration_seconds", "Time a job's handler ran, by kind and lane.", ["kind", "lane"],
    buckets=_JOB_BUCKETS)

INBOUND_MESSAGES = Counter(
    "compris_inbound_messages", "Customer messages stored on a case (after de-duplication), by network and how "
    "(opened a case, appended, reopened). rate() of it is the ingest rate.", ["network", "how"])
REPLIES = Counter(
    "compris_replies", "Outbound messages by network and outcome: sent, retrying (a failed attempt to be tried "
    "again), failed (for good), uncertain (a person must check).", ["network", "outcome"])

SLA_PASS_DURATION = Histogram(
    "compris_sla_pass_duration_seconds", "Duration of one SLA pass over the cases whose check time has come.",
    buckets=_JOB_BUCKETS)
SLA_PASS_CASES = Counter("compris_sla_pass_cases", "Cases checked by the SLA passes.")
