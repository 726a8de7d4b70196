"""A dependency-free progress bar on stderr: points done, throughput (points/s) and ETA.

Shown only on a terminal (``stream.isatty()``) unless forced; ``quiet=True`` silences it.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    if not seconds < 1e7:  # inf or nan
        return "--:--"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h:d}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Progress of a run over ``total`` points.

    Args:
        total: points to reach.
        label: prefix of the line.
        initial: points already done before this run (e.g. blocks found on resume); they count
            towards the bar but not towards the throughput.
        quiet: None: show only when ``stream`` is a terminal; True: never; False: always.
        stream: where to draw (default ``sys.stderr``).
        min_interval: seconds between redraws.
    """

    def __init__(
        self,
        total: int,
        label: str = "jaxorb sweep",
        *,
        initial: int = 0,
        quiet: bool | None = None,
        stream: TextIO | None = None,
        min_interval: float = 0.2,
    ):
        self.stream = sys.stderr if stream is None else stream
        if quiet is None:
            isatty = getattr(self.stream, "isatty", None)
            self.enabled = bool(isatty and isatty())
        else:
            self.enabled = not quiet
        self.total = int(total)
        self.label = label
        self.initial = int(initial)
        self.done = int(initial)
        self.min_interval = min_interval
        self.t0 = time.perf_counter()
        self._last = -float("inf")
        self._width = 0

    @property
    def rate(self) -> float:
        """Points per second computed in this run (0 before the first update)."""
        dt = time.perf_counter() - self.t0
        new = self.done - self.initial
        return new / dt if dt > 0 and new > 0 else 0.0

    def line(self) -> str:
        """The text of the bar, e.g. ``jaxorb sweep [#####.....] 512/1024 50% 1.2e+03 pts/s ETA 00:01``."""
        frac = self.done / self.total if self.total else 1.0
        n = 24
        filled = int(n * frac)
        rate = self.rate
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        return (
            f"{self.label} [{'#' * filled}{'.' * (n - filled)}] {self.done}/{self.total} pts {100 * frac:3.0f}% "
            f"{rate:.3g} pts/s elapsed {_clock(time.perf_counter() - self.t0)} ETA {_clock(eta)}"
        )

    def update(self, points: int) -> None:
        """Add ``points`` done and redraw if enough time has passed."""
        self.done += int(points)
        now = time.perf_counter()
        if self.enabled and (now - self._last >= self.min_interval or self.done >= self.total):
            self._last = now
            self._draw()

    def _draw(self) -> None:
        text = self.line()
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        if self.enabled:
            self._draw()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["Progress"]
