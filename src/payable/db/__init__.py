"""Storage plumbing: metadata, engine and sessions, embedded server, migrations."""
