"""GraphQL face of the review queue."""
