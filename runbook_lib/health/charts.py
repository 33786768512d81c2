"""One matplotlib figure per phase: a panel per golden signal, a line per series, alarm thresholds drawn.

The values handed to matplotlib are the fetched series as they are (NaN included: matplotlib breaks the line
there), so a gap in the data is a gap in the chart. Series the runbook published itself (the canary, the
migrators) say so in their legend and title: in the sandbox they are the only metrics there are, and must not pass
for AWS service metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runbook_lib.health.alarms import AlarmRow, thresholds_for
from runbook_lib.health.catalogue import SIGNALS
from runbook_lib.health.metrics import MetricSeries


def _pyplot() -> Any:
    import matplotlib

    if matplotlib.get_backend().lower() not in ("module://matplotlib_inline.backend_inline", "agg"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def phase_figure(phase: str, series: Sequence[MetricSeries], alarms: Sequence[AlarmRow] = (), *,
                 title_note: str = "") -> Any:
    """The phase's figure: one axes per signal that has series, thresholds as dashed lines in the alarm's colour.

    A phase without series still gets a figure that says so (the evidence shows the question was asked).
    """
    plt = _pyplot()
    signals = [s for s in SIGNALS if any(x.spec.signal == s for x in series)]
    fig, axes = plt.subplots(max(1, len(signals)), 1, figsize=(9, 2.6 * max(1, len(signals))), sharex=True,
                             squeeze=False)
    sources = {x.spec.source for x in series}
    origin = " · published by the runbook (PutMetricData), not AWS service metrics" if sources == {"runbook"} else ""
    fig.suptitle(f"{phase}: golden signals{origin}{title_note}", fontsize=10)
    if not signals:
        axes[0][0].text(0.5, 0.5, "no metrics for this phase (no applied resource in the catalogue)",
                        ha="center", va="center", transform=axes[0][0].transAxes)
        plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
        return fig
    for ax, signal in zip((row[0] for row in axes), signals, strict=False):
        for item in (x for x in series if x.spec.signal == signal):
            label = item.spec.label + (" [no data]" if item.status == "no data" else "")
            ax.plot(item.values.index.to_pydatetime(), item.values.to_numpy(), marker=".", label=label)
            for alarm in thresholds_for(item.spec, alarms):
                ax.axhline(alarm.threshold, linestyle="--", color=alarm.colour,
                           label=f"{alarm.name} ({alarm.state}) {alarm.comparison} {alarm.threshold:g}")
        ax.set_ylabel(signal)
        ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    plt.close(fig)  # shown where the caller displays it, not twice by the inline backend
    return fig


def plotted(fig: Any) -> dict[str, tuple[list[Any], list[float]]]:
    """What each line of a figure holds: label -> (x, y); for tests and for the evidence's own checks."""
    out = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            x, y = line.get_data()
            out[line.get_label()] = (list(x), [float(v) for v in y])
    return out


__all__ = ["phase_figure", "plotted"]
