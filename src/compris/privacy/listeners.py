"""Reactions of privacy to domain events."""
