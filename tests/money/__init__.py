"""The money model: hypothesis drives random sequences; the books are checked after each."""
