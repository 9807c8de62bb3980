"""GraphQL face of what people write on a booking's timeline."""
