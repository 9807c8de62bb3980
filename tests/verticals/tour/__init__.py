"""Tour bookings: departures."""
