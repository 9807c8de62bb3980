"""Refunds: requested, decided by a person, executed at the provider."""
