"""Plain HTTP endpoints beside GraphQL: gateway callbacks and the browser's return page."""
