"""Prometheus metrics at /metrics: request and process families, plus business gauges read
from the database at scrape time (the database is shared, so any one process can answer)."""
