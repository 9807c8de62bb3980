"""Clinic appointments: slots, and the factory of a valid appointment."""
