"""GraphQL face of refunds: requests, decisions, the refund quote."""
