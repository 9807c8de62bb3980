"""Idempotency keys and replayed answers."""
