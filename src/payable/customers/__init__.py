"""Customers: only the CRM's reference, never names, contacts or medical details."""
