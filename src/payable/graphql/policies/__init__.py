"""GraphQL face of cancellation policies."""
