"""GraphQL face of gateway reports and reconciliation."""
