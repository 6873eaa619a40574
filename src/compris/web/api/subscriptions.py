"""Outgoing webhooks: the workspace's subscriptions (admin) and their deliveries."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
