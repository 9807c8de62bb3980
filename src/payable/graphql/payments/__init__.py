"""GraphQL face of payments: payment links and held money."""
