"""Cancellation policies and refund quotes."""
