"""The server and its tools: CLI, doctor, serving, logs, metrics, traces, migrations."""
