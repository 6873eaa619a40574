"""Reactions of the audit log to domain events."""
