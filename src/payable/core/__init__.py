"""Cross-domain building blocks: money, errors, global ids, principals and permissions."""
