"""One time bound for tests whose code under test could hang (a FIFO, a dripping server)."""

from __future__ import annotations

import signal
from contextlib import contextmanager


class TookTooLong(BaseException):
    """Not an OSError: code under test that retries on timeouts cannot swallow it."""


@contextmanager
def at_most(seconds: int):
    """Raise TookTooLong in the test if its body runs longer than `seconds`."""

    def too_long(signum, frame):
        raise TookTooLong(f"the test took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
