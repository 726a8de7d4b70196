"""Progress of a sweep on stderr: points done, throughput (points/s), elapsed time and ETA.

Drawn by :mod:`tqdm` (``tqdm.auto``: a text bar in a terminal, a widget in a Jupyter notebook),
always at the same width (the terminal's, or 100 columns on a forced non-terminal stream).
Shown only on a terminal (``stream.isatty()``) or in a Jupyter notebook unless forced;
``quiet=True`` silences it.
"""

from __future__ import annotations

import sys
from typing import TextIO

#: Width of the line on a stream that is not a terminal (tqdm then cannot measure it).
FALLBACK_COLUMNS = 100


def _in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (its stderr is no terminal, yet shows a widget)."""
    shell = sys.modules.get("IPython")
    try:
        ip = shell.get_ipython() if shell is not None else None
    except Exception:  # noqa: BLE001 - any IPython oddity: not a notebook
        return False
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


class Progress:
    """Progress of a run over ``total`` points.

    Args:
        total: points to reach.
        label: prefix of the line.
        initial: points already done before this run (e.g. blocks found on resume); they count
            towards the bar but not towards the throughput.
        quiet: None: show only when ``stream`` is a terminal or the run is in a Jupyter notebook;
            True: never; False: always.
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
        isatty = getattr(self.stream, "isatty", None)
        notebook = stream is None and _in_notebook()
        tty = bool(isatty and isatty()) or notebook
        self.enabled = tty if quiet is None else not quiet
        self.total = int(total)
        self.label = label
        self.initial = int(initial)
        if tty:  # a terminal (the notebook widget when running in Jupyter)
            from tqdm.auto import tqdm
        else:  # a forced plain stream: text only
            from tqdm import tqdm
        self._bar = tqdm(
            total=self.total,
            initial=self.initial,
            desc=label,
            unit="pt",
            unit_scale=self.total >= 100_000,  # 1.05M/4.19M; small counts exactly
            file=self.stream,
            disable=not self.enabled,
            mininterval=min_interval,
            ncols=None if tty else FALLBACK_COLUMNS,
            dynamic_ncols=False,
            leave=True,
            delay=0,
        )

    @property
    def done(self) -> int:
        """Points done so far (including ``initial``)."""
        return int(self._bar.n)

    @property
    def rate(self) -> float:
        """Points per second computed in this run (0 before the first update)."""
        d = self._bar.format_dict
        elapsed = d.get("elapsed") or 0.0
        new = self.done - self.initial
        return new / elapsed if elapsed > 0 and new > 0 else 0.0

    def line(self) -> str:
        """The text of the bar as drawn now."""
        return self._bar.format_meter(**{**self._bar.format_dict, "ncols": self._bar.ncols or FALLBACK_COLUMNS})

    def update(self, points: int) -> None:
        """Add ``points`` done (redrawn at most every ``min_interval`` seconds)."""
        self._bar.update(int(points))

    def close(self) -> None:
        """Draw the final state and end the line."""
        self._bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["Progress"]
