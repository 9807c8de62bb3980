"""Outbound webhooks: endpoints per tenant, and deliveries of timeline events to them."""
