"""The one error every room may raise to say "retrying cannot fix this"."""


class RunBlocked(RuntimeError):
    """A failure that retrying cannot fix (a rejected delivery, a failed quality gate, a refused token).

    The Airflow adapter (crvs.airflow.adapter.fail_at_once) turns it into AirflowFailException, so
    the task fails at once, without retries, with this message in the log and the UI."""
