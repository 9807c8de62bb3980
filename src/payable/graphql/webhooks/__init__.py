"""GraphQL face of outbound webhooks."""
