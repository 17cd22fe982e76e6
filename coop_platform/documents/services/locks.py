"""Decisions on a document hold its row lock between reading and writing (core/locks.py):
two moderators publishing and rejecting at once both succeeded on PostgreSQL before."""

from __future__ import annotations

from coop_platform.core.locks import lock

__all__ = ["lock"]
