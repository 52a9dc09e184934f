"""Figures: one panel per dataset, one line per black-box method (mean over seeds, +- std band),
written as PNG and PDF. Zero-shot and white-box methods spend no queries; on the test-accuracy
figure they are drawn as horizontal reference lines at their final test accuracy."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from .curves import Smoothing, method_curve, test_curve  # noqa: E402
from .store import ordered  # noqa: E402

METRICS = {
    "train_acc": ("training accuracy (%), smoothed", "Training accuracy against queries"),
    "train_loss": ("training loss, smoothed", "Training loss against queries"),
    "test_acc_subset": ("test accuracy (%), fixed subset", "Test accuracy against queries"),
}


# Colour and line style per method, so that overlapping curves stay apart (and in grey print).
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
           "#bcbd22"]
LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def _styles(methods):
    return {m: dict(color=PALETTE[i % len(PALETTE)], linestyle=LINESTYLES[i % len(LINESTYLES)],
                    marker=MARKERS[i % len(MARKERS)]) for i, m in enumerate(methods)}


def _panel_grid(count):
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.6 * rows + 0.9), squeeze=False)
    for extra in axes.flat[count:]:
        extra.set_visible(False)
    return fig, axes.flat


def plot_metric(store, metric, out_stem, smoothing=Smoothing()):
    """Writes out_stem.png and out_stem.pdf; returns the written paths, or [] when there is no data."""
    trials = store.trials
    done = trials[trials["status"] == "done"]
    black_box = done[done["kind"] == "black-box"]
    metrics = store.metrics[store.metrics["id"].isin(black_box["id"])]
    if metric == "test_acc_subset":
        metrics = metrics.dropna(subset=["test_acc_subset"])
    datasets = [d for d in ordered(trials["dataset"]) if (metrics["dataset"] == d).any()]
    if not datasets:
        return []
    methods = ordered(black_box["method"]) + [m for m in ordered(trials["method"])
                                              if m not in set(black_box["method"])]
    styles = _styles(methods)
    ylabel, title = METRICS[metric]
    fig, axes = _panel_grid(len(datasets))
    handles = {}
    for ax, dataset in zip(axes, datasets):
        of_dataset = metrics[metrics["dataset"] == dataset]
        grid, window = smoothing.grid(float(of_dataset["queries"].max()))
        for method in methods:
            steps = of_dataset[of_dataset["method"] == method]
            if steps.empty:
                continue
            curve = (test_curve(steps) if metric == "test_acc_subset"
                     else method_curve(steps, metric, grid, window))
            if curve.empty:
                continue
            style = styles[method]
            line, = ax.plot(curve["queries"], curve["mean"], color=style["color"], linestyle=style["linestyle"],
                            marker=style["marker"], markevery=max(1, len(curve) // 10), markersize=4,
                            linewidth=1.6, label=method)
            band = curve.dropna(subset=["std"])
            if not band.empty:
                ax.fill_between(band["queries"], band["mean"] - band["std"], band["mean"] + band["std"],
                                color=style["color"], alpha=0.15, linewidth=0)
            handles.setdefault(method, line)
        if metric == "test_acc_subset":
            references = done[(done["kind"] != "black-box") & (done["dataset"] == dataset)]
            for method in ordered(references["method"]):
                acc = references[references["method"] == method]["test_acc"].mean()
                line = ax.axhline(acc, color=styles[method]["color"], linestyle=(0, (1, 1)), linewidth=1.4,
                                  label=f"{method} (final, full test set)")
                handles.setdefault(method + " (reference)", line)
        ax.set_title(dataset)
        ax.set_xlabel("queries")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.set_xlim(left=0)
    fig.suptitle(f"{title} ({store.name}; mean over seeds, band = ±1 std)", fontsize=11)
    fig.legend(list(handles.values()), [h.get_label() for h in handles.values()], loc="lower center",
               ncol=min(len(handles), 4), frameon=False, fontsize=9)
    rows = math.ceil(len(datasets) / min(len(datasets), 3))
    fig.tight_layout(rect=(0, 0.06 + 0.04 * math.ceil(len(handles) / 4) / rows, 1, 0.95))
    paths = [_save(fig, out_stem + ".png", dpi=150, metadata={"Software": None}),
             _save(fig, out_stem + ".pdf", metadata={"CreationDate": None, "Creator": None, "Producer": None})]
    plt.close(fig)
    return paths


def _save(fig, path, **options):
    """Writes a figure under a temporary name, then renames it: a reader never sees half a file."""
    tmp = f"{path}.tmp.{os.getpid()}"
    fig.savefig(tmp, format=os.path.splitext(path)[1][1:], **options)
    os.replace(tmp, path)
    return path


def plot_all(store, out_dir, smoothing=Smoothing()):
    """{metric: [png, pdf]} for every metric with data."""
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for metric in METRICS:
        paths = plot_metric(store, metric, os.path.join(out_dir, f"{metric}_vs_queries"), smoothing)
        if paths:
            written[metric] = paths
    return written
