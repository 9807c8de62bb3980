"""What operators and accountants read: daily summary, accounting export, month close, reminders."""
