"""Imports every module that registers job handlers."""

from compris.channels import recovery
from compris.inbox import ingest, outbound, polling, triage_refine
from compris.sla import tasks as sla_tasks
from compris.uploads import tasks as upload_tasks
from compris.worker import scheduler

__all__ = ["ingest", "outbound", "polling", "recovery", "scheduler", "sla_tasks", "triage_refine", "upload_tasks"]
