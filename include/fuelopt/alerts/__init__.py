"""Failure callbacks and notifiers for on-call; the alert log."""
