"""Manual review tasks: everything that needs a person (late money, mismatches, failures)."""
