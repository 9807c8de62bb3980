"""Outbound webhooks, their factories and a real receiver."""
