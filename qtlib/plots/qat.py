"""QAT figures (ch06): training curves of QAT and LSQ beside the accuracy of each method."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qtlib.plots._common import SERIES, Plot, new_figure


def _smooth(values: Sequence[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def qat_curves(setting: str, accuracies: Mapping[str, float],
               losses: Mapping[str, Sequence[float]], float_accuracy: float,
               window: int = 10) -> Plot:
    """Left: training loss per step (moving average over ``window`` steps) of each trained
    method; right: test accuracy (%) of each method with the float32 accuracy as a line.

    ``accuracies``: method -> accuracy in [0, 1]; ``losses``: method -> cross-entropy per step
    (methods without training are left out of the left panel).
    """
    fig = new_figure(8.0, 3.2)
    ax_loss, ax_acc = fig.subplots(1, 2, width_ratios=(3, 2))
    for i, (method, curve) in enumerate(losses.items()):
        if len(curve):
            ax_loss.plot(range(1, len(curve) + 1), _smooth(list(curve), window),
                         color=SERIES[i + 1], label=method.upper())
    ax_loss.set(xlabel="training step", ylabel="cross-entropy (nats)",
                title=f"{setting}: training loss")
    if ax_loss.lines:
        ax_loss.legend()
    methods = list(accuracies)
    values = [100 * accuracies[m] for m in methods]
    ax_acc.bar([m.upper() for m in methods], values,
               color=[SERIES[i] for i in range(len(methods))])
    ax_acc.axhline(100 * float_accuracy, color="black", linestyle="--", label="float32")
    low = min([*values, 100 * float_accuracy])
    ax_acc.set(ylim=(max(0.0, low - 5), 100), ylabel="test accuracy (%)",
               title=f"{setting}: accuracy")
    ax_acc.legend(loc="lower right")
    parts = [f"{m.upper()} {v:.1f}%" for m, v in zip(methods, values, strict=True)]
    ends = [f"{m.upper()} from {c[0]:.3f} to {c[-1]:.3f}" for m, c in losses.items() if len(c)]
    text = (f"{setting}: test accuracy {', '.join(parts)}; float32 {100 * float_accuracy:.1f}%."
            + (f" Training loss per step went {'; '.join(ends)}." if ends else ""))
    return Plot(fig, text)
