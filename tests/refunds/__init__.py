"""Refunds: requests, decisions, exactly-once execution."""
