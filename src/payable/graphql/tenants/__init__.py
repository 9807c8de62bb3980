"""GraphQL face of the tenant's own rules and gateways."""
