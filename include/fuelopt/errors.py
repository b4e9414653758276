"""Exceptions the command line maps to exit codes (CONTRACTS.md: 2 bad input, 1 anything else)."""


class BadInput(ValueError):
    """The caller's input is wrong; the message names the file, row or field at fault (exit 2)."""


class SourceUnavailable(RuntimeError):
    """A source system kept failing after retries; the message names the last response (exit 1)."""
