"""GraphQL face of reports: daily summaries, month closes."""
