"""The pieces of `bench/side_by_side.py`: the query per system, seeding, the raw endpoint,
the servers' processes, the load generator, the answers' check and the report."""
