"""The GraphQL API: a thin layer translating between the schema and the domain services."""
