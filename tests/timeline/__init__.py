"""Timelines, notes and live subscriptions."""
