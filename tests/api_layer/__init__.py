"""The API layer (src/payable/graphql): schema, limits, roles, declarations, catalogues."""
