"""Daily reconciliation: the gateway's report against our verified payments and refunds."""
