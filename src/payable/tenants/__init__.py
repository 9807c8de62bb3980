"""Tenants: one per booking business; every row of every table belongs to one."""
