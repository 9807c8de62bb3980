"""GraphQL face of bookings: create inputs, the list filter, the payload, ending, discounts."""
