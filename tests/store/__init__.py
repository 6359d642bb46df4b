"""State store tests."""
