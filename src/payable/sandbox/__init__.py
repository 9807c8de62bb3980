"""The embedded sandbox gateway: a pretend card processor served by this app, for development
and tests. It keeps its own orders, serves a hosted payment page and sends signed callbacks."""
