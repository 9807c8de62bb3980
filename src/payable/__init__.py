"""payable: bookings, payment requests, verified payments and refunds behind one GraphQL API."""
