"""The API layer: schema, validation, limits, roles, declarations and catalogues."""
