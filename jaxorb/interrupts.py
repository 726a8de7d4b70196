"""Ctrl-C that always stops a run, and never inside a store write.

Two hazards make a plain ``KeyboardInterrupt`` unreliable in a JAX program:

* Python raises it in whatever Python code runs next, which may be a garbage-collector callback
  (JAX registers one); an exception there is printed as "Exception ignored" and dropped, so the
  program carries on as if Ctrl-C had never been pressed (typical while importing and compiling).
  :func:`redeliver_swallowed` installs an unraisable-exception hook that turns such a dropped
  ``KeyboardInterrupt`` back into a pending Ctrl-C, raised at the next safe point.
* Raised inside a store write, it would leave that write half done. :class:`Guard` defers Ctrl-C
  while a :meth:`Guard.critical` section runs and raises it right after.

This module imports nothing heavy, so it can be set up before JAX is imported.
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import sys
import threading

_previous_hook = None
#: Seconds before a dropped Ctrl-C is raised again.
REDELIVERY_DELAY = 0.02


def _hook(unraisable) -> None:
    if unraisable.exc_type is not None and issubclass(unraisable.exc_type, KeyboardInterrupt):
        # deliver it again a moment later, from another thread: raised here, inside the hook, it
        # would be dropped once more; if it lands in a callback again, this repeats
        timer = threading.Timer(REDELIVERY_DELAY, _thread.interrupt_main)
        timer.daemon = True
        timer.start()
        return
    (_previous_hook or sys.__unraisablehook__)(unraisable)


def redeliver_swallowed() -> None:
    """Re-raise a ``KeyboardInterrupt`` that a callback would drop (idempotent)."""
    global _previous_hook
    if sys.unraisablehook is not _hook:
        _previous_hook = sys.unraisablehook
        sys.unraisablehook = _hook


class Guard:
    """SIGINT handler for a run: Ctrl-C raises ``KeyboardInterrupt`` at once, except inside
    :meth:`critical` sections, where it is held until the section ends.

    Installed only in the main thread and only over Python's default handler (a process started
    with SIGINT ignored, or a program with its own handler, keeps its choice).
    """

    def __init__(self):
        self.pending = False
        self.depth = 0
        self._old = None
        self.active = False

    def _handler(self, signum, frame):
        if self.depth:
            self.pending = True
            return
        raise KeyboardInterrupt

    def __enter__(self) -> Guard:
        redeliver_swallowed()
        if threading.current_thread() is threading.main_thread():
            old = signal.getsignal(signal.SIGINT)
            if old is signal.default_int_handler:
                self._old = old
                signal.signal(signal.SIGINT, self._handler)
                self.active = True
        return self

    def __exit__(self, *exc) -> None:
        if self.active:
            signal.signal(signal.SIGINT, self._old)
            self.active = False
        if self.pending and exc[0] is None:
            self.pending = False
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def critical(self):
        """Hold Ctrl-C while the body runs (a store write); raise it afterwards."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if not self.depth and self.pending:
            self.pending = False
            raise KeyboardInterrupt


__all__ = ["Guard", "redeliver_swallowed"]
