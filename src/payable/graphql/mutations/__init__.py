"""How a mutation is declared (declaration) and run (runner): one way for all of them."""
