"""Gateway reports and reconciliation."""
