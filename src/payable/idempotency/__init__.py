"""Stored idempotency keys: a repeated mutation returns its first result and changes nothing."""
