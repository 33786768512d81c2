"""Lag while mirroring: samples collected from the mirror, and the chart the notebook shows (live, then recorded).

Lag here is what the mirror still has to copy: captured end offset minus the next record to copy, per
partition — measured by the mirror itself, not by the broker's watermarks (see :mod:`.reading`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from runbook_lib.migrate.kafka.mirror import LagSample


@dataclass
class LagRecorder:
    """Collects :class:`LagSample` rows; with ``live`` it redraws a chart at most every ``redraw_s`` seconds.

    ``live`` is an IPython display handle's ``update`` (or any callable taking a figure); the notebook
    passes one so the chart moves while the mirror runs, and records the final figure afterwards.
    """

    live: Any = None
    redraw_s: float = 1.0
    samples: list[LagSample] = field(default_factory=list)
    _drawn: float = 0.0

    def __call__(self, sample: LagSample) -> None:
        self.samples.append(sample)
        if self.live is not None and time.monotonic() - self._drawn >= self.redraw_s:
            self._drawn = time.monotonic()
            figure = lag_figure(self.samples)
            self.live(figure)
            _close(figure)

    def frame(self) -> Any:  # -> pandas.DataFrame
        import pandas as pd

        return pd.DataFrame([s.__dict__ for s in self.samples], columns=["seconds", "topic", "partition", "lag",
                                                                         "copied"])


def lag_figure(samples: list[LagSample]) -> Any:
    """A matplotlib figure: lag (records not yet mirrored) per topic partition over time."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 3))
    series: dict[str, tuple[list[float], list[int]]] = {}
    for s in samples:
        xs, ys = series.setdefault(f"{s.topic}[{s.partition}]", ([], []))
        xs.append(s.seconds)
        ys.append(s.lag)
    for label, (xs, ys) in sorted(series.items()):
        axis.plot(xs, ys, label=label, drawstyle="steps-post")
    axis.set_xlabel("seconds since the mirror started")
    axis.set_ylabel("records not yet mirrored")
    axis.set_title("Mirror lag per partition")
    if series:
        axis.legend(fontsize="small", loc="upper right")
    figure.tight_layout()
    return figure


def live_display() -> Any:
    """A callable that shows a figure in the running notebook, replacing the previous one; None outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return None
    if get_ipython() is None:
        return None
    handle = display(display_id=True)

    def show(figure: Any) -> None:
        import io

        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=80)
        handle.update(Image(buffer.getvalue()))

    return show


def _close(figure: Any) -> None:
    import matplotlib.pyplot as plt

    plt.close(figure)
