"""Exceptions the command line maps to exit codes (docs/contracts.md: 2 bad input, 1 anything
else) and Airflow to task states.

``PermanentError`` and its subclasses are errors no retry can fix: Airflow fails the task at once
(``AirflowFailException``), without retries, and on-call hears of it once.
"""

from airflow.sdk.exceptions import AirflowFailException


class PermanentError(AirflowFailException):
    """An error a retry cannot fix: the task fails at once, without retries."""


class BadInput(PermanentError, ValueError):
    """The caller's input is wrong; the message names the file, row or field at fault (exit 2)."""


class SourceUnavailable(RuntimeError):
    """A source system kept failing after retries; the message names the last response (exit 1)."""


class RegistryUnavailable(RuntimeError):
    """The MLflow tracking server or registry did not answer (transient: the task is retried,
    then on-call is alerted); never mistaken for "no model"."""
