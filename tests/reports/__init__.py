"""Daily summaries, month closes, the accounting export."""
