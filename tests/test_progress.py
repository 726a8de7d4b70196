"""The sweep's progress bar: tqdm, steady width, rate and ETA, silent unless on a terminal."""

import io

from tqdm import tqdm

from jaxorb.progress import FALLBACK_COLUMNS, Progress


def _drawn(text: str) -> list[str]:
    return [seg.rstrip("\n") for seg in text.split("\r") if seg.strip()]


def test_bar_is_tqdm_with_rate_eta_and_steady_width():
    buf = io.StringIO()
    with Progress(10_000, quiet=False, stream=buf, min_interval=0) as bar:
        assert isinstance(bar._bar, tqdm)
        for step in (1, 9, 90, 900, 9000):  # the counts grow by four digits
            bar.update(step)
        assert bar.done == 10_000 and bar.rate > 0
    lines = _drawn(buf.getvalue())
    assert len(lines) >= 5
    assert {len(line) for line in lines} == {FALLBACK_COLUMNS}, [len(line) for line in lines]
    assert "10000/10000" in lines[-1] and "pt/s" in lines[-1] and "<" in lines[-1]  # elapsed<ETA


def test_resumed_points_count_toward_the_bar_not_the_rate():
    buf = io.StringIO()
    with Progress(100, quiet=False, stream=buf, initial=60, min_interval=0) as bar:
        assert bar.done == 60 and bar.rate == 0.0
        bar.update(40)
    assert "100/100" in _drawn(buf.getvalue())[-1]


def test_silent_unless_on_a_terminal_or_forced():
    silent = io.StringIO()  # not a terminal: quiet by default
    with Progress(10, stream=silent) as bar:
        bar.update(10)
    assert silent.getvalue() == ""
    buf = io.StringIO()
    with Progress(10, quiet=True, stream=buf) as bar:
        assert not bar.enabled
        bar.update(10)
    assert buf.getvalue() == ""


def test_shown_in_a_jupyter_notebook_whose_stderr_is_no_terminal(monkeypatch):
    from jaxorb import progress

    monkeypatch.setattr(progress, "_in_notebook", lambda: True)
    with Progress(10, min_interval=0) as bar:
        assert bar.enabled
        bar.update(10)
    monkeypatch.setattr(progress, "_in_notebook", lambda: False)
    with Progress(10) as bar:  # pytest's captured stderr is no terminal
        assert not bar.enabled
