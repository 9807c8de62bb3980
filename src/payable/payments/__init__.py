"""Payments: payment requests (links) and verified money."""
