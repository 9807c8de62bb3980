"""GraphQL object types. They wrap domain rows and convert explicitly; they never run SQL."""
