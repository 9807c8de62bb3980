"""Versioned cancellation policies: a booking keeps the version it was made under."""
