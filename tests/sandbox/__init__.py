"""The embedded test gateway."""
