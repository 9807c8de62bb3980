"""Bookings: the common core every vertical shares (money, schedule, status)."""
