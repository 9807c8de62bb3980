"""Stored idempotency keys: a repeated mutation gets its first answer back and changes nothing."""
