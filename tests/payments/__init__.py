"""Payment links, callbacks, verification, held money, and their factories."""
