"""Bookings: creation, changes, closing, finding, and what the database refuses."""
