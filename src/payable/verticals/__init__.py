"""The booking verticals. Each is one package plugging its details and rules into the core
through ``base.Vertical``; ``installed`` lists them and ``registry`` is how the core finds them."""
