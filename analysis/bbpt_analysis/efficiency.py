"""Query efficiency: the queries each black-box method needs to reach the best baseline's final
training accuracy, and their ratio to ZIP's (the ZIP paper's Fig. (a) and (b)).

Per dataset, on the smoothed seed-mean training-accuracy curves of curves.py:
  final(m)     the curve of method m at the last grid point that all of m's seeds reach
  target       max over the baselines (black-box methods other than the reference, ZIP) of final(m)
  queries(m)   the first grid point where m's curve, averaged over all of its seeds, is >= target;
               "not reached" when there is none within m's budget
  ratio(m)     queries(m) / queries(ZIP): how many times more queries m needs than ZIP
The best baseline reaches its own final value by definition, at the end of its budget or earlier.
Only done trials count; a dataset without ZIP or without a baseline gets no ratio or no target.
pairwise_efficiency takes each baseline's own final value as its target instead of the best one.
"""
import math

import pandas as pd

from .curves import Smoothing, final_value, method_curve
from .store import ordered

COLUMNS = ["dataset", "method", "seeds", "final_train_acc", "target", "target_method", "queries_to_target",
           "budget", "ratio_to_reference"]


def reference_method(trials, algorithm="zip"):
    """The method the ratios are taken to: the one named like the algorithm, else the first of it."""
    methods = ordered(trials[trials["algorithm"] == algorithm]["method"])
    if algorithm in methods:
        return algorithm
    return methods[0] if methods else None


def _queries_to(curve, n_seeds, target):
    full = curve[(curve["n"] == n_seeds) & (curve["mean"] >= target - 1e-9)]
    return math.nan if full.empty else float(full.iloc[0]["queries"])


def dataset_curves(store, smoothing=Smoothing()):
    """Per dataset with done black-box trials that spend queries: {method: (curve, seeds, budget)}.
    Both tables below read these; pass them in to smooth the curves once for both."""
    trials = store.trials
    done = trials[(trials["status"] == "done") & (trials["kind"] == "black-box")]
    out = {}
    for dataset in ordered(trials["dataset"]):
        of_dataset = done[done["dataset"] == dataset]
        metrics = store.metrics[store.metrics["id"].isin(of_dataset["id"])]
        if metrics.empty or metrics["queries"].max() <= 0:
            continue
        grid, window = smoothing.grid(float(metrics["queries"].max()))
        curves = {}
        for method in ordered(of_dataset["method"]):
            of_method = of_dataset[of_dataset["method"] == method]
            curve = method_curve(metrics[metrics["id"].isin(of_method["id"])], "train_acc", grid, window)
            curves[method] = (curve, len(of_method), float(of_method["queries_used"].max()))
        out[dataset] = curves
    return out


def query_efficiency(store, smoothing=Smoothing(), reference_algorithm="zip", curves=None):
    """DataFrame(COLUMNS), one row per (dataset, black-box method with done trials); `curves` as
    dataset_curves(store, smoothing) returns them, computed here when None."""
    reference = reference_method(store.trials, reference_algorithm)
    rows = []
    if curves is None:
        curves = dataset_curves(store, smoothing)
    for dataset, of_dataset in curves.items():
        finals = {m: final_value(c, n)[1] for m, (c, n, _) in of_dataset.items()}
        baselines = [m for m in of_dataset if m != reference and not math.isnan(finals[m])]
        target_method = max(baselines, key=lambda m: finals[m]) if baselines else None
        target = finals[target_method] if target_method else math.nan
        queries = {m: (_queries_to(c, n, target) if target_method else math.nan) for m, (c, n, _) in of_dataset.items()}
        reference_queries = queries.get(reference, math.nan)
        for method, (curve, n_seeds, budget) in of_dataset.items():
            q = queries[method]
            ratio = q / reference_queries if reference_queries and not math.isnan(reference_queries) else math.nan
            rows.append(dict(dataset=dataset, method=method, seeds=n_seeds, final_train_acc=finals[method],
                             target=target, target_method=target_method, queries_to_target=q, budget=budget,
                             ratio_to_reference=ratio))
    return pd.DataFrame(rows, columns=COLUMNS)


PAIRWISE_COLUMNS = ["dataset", "baseline", "target", "baseline_queries", "reference_queries",
                    "reference_budget"]


def pairwise_efficiency(store, smoothing=Smoothing(), reference_algorithm="zip", curves=None):
    """One row per (dataset, baseline): the baseline's own final training accuracy as the target, and
    the queries the baseline and the reference (ZIP) need to reach it; NaN where a curve never does.
    The ZIP paper's claim is per baseline ("about half the queries to reach their accuracy"), which
    the single best-baseline target of query_efficiency cannot show when one baseline is far ahead."""
    reference = reference_method(store.trials, reference_algorithm)
    rows = []
    if curves is None:
        curves = dataset_curves(store, smoothing)
    for dataset, of_dataset in curves.items():
        if reference not in of_dataset:
            continue
        ref_curve, ref_seeds, ref_budget = of_dataset[reference]
        for method, (curve, n_seeds, _) in of_dataset.items():
            final = final_value(curve, n_seeds)[1]
            if method == reference or math.isnan(final):
                continue
            rows.append(dict(dataset=dataset, baseline=method, target=final,
                             baseline_queries=_queries_to(curve, n_seeds, final),
                             reference_queries=_queries_to(ref_curve, ref_seeds, final), reference_budget=ref_budget))
    return pd.DataFrame(rows, columns=PAIRWISE_COLUMNS)


def pairwise_markdown(pairwise, reference):
    """Rows = baselines, columns = datasets; a cell: target, the reference's queries, the baseline's."""
    if pairwise.empty:
        return f"No dataset has both {reference} and a baseline with done trials yet.\n"
    datasets = ordered(pairwise["dataset"])
    lines = [f"| baseline | " + " | ".join(datasets) + " |", "|---|" + "---:|" * len(datasets)]
    for baseline in ordered(pairwise["baseline"]):
        cells = []
        for d in datasets:
            row = pairwise[(pairwise["dataset"] == d) & (pairwise["baseline"] == baseline)]
            if row.empty:
                cells.append("–")
                continue
            r = row.iloc[0]
            if math.isnan(r["reference_queries"]):
                ours = f"{reference} not in {r['reference_budget']:.0f}"
            else:
                ours = f"{reference} {r['reference_queries']:.0f}"
                if r["baseline_queries"] > 0:
                    ours += f" ({r['reference_queries'] / r['baseline_queries']:.2f}x)"
            cells.append(f"{r['target']:.2f}%: {ours}, it {r['baseline_queries']:.0f}")
        lines.append(f"| {baseline} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _queries_text(row):
    if math.isnan(row["target"]):
        return "–"
    if math.isnan(row["queries_to_target"]):
        return f"not reached in {row['budget']:.0f}"
    text = f"{row['queries_to_target']:.0f}"
    if not math.isnan(row["ratio_to_reference"]):
        text += f" ({row['ratio_to_reference']:.2f}x)"
    return text


def _mean_text(efficiency, method, reference, datasets):
    """Mean queries over the datasets where `method` reached the target, and the ratio of that sum
    to the reference's over the datasets where both did."""
    own = efficiency[(efficiency["method"] == method) & efficiency["queries_to_target"].notna()]
    if own.empty:
        return f"– (0 of {datasets})"
    text = f"{own['queries_to_target'].mean():.0f} ({len(own)} of {datasets}"
    ref = efficiency[(efficiency["method"] == reference) & efficiency["queries_to_target"].notna()]
    both = own[own["dataset"].isin(ref["dataset"])]
    if not both.empty and method != reference:
        ref_sum = ref[ref["dataset"].isin(both["dataset"])]["queries_to_target"].sum()
        text += f"; {both['queries_to_target'].sum() / ref_sum:.2f}x over {len(both)}"
    return text + ")"


def to_markdown(efficiency, reference):
    """Rows = methods, columns = datasets (+ the mean over the datasets where the method reached)."""
    if efficiency.empty:
        return "No dataset has done black-box trials with training curves yet.\n"
    datasets = ordered(efficiency["dataset"])
    methods = ordered(efficiency["method"])
    header = []
    for d in datasets:
        first = efficiency[efficiency["dataset"] == d].iloc[0]
        if first["target_method"] is None or (isinstance(first["target_method"], float)):
            header.append(f"{d} (no baseline)")
        else:
            header.append(f"{d}: {first['target']:.2f}% ({first['target_method']})")
    lines = ["| method | " + " | ".join(header) + " | mean where reached (ratio to the reference there) |",
             "|---|" + "---:|" * (len(datasets) + 1)]
    for method in methods:
        cells = []
        for d in datasets:
            row = efficiency[(efficiency["dataset"] == d) & (efficiency["method"] == method)]
            cells.append("–" if row.empty else _queries_text(row.iloc[0]))
        cells.append(_mean_text(efficiency, method, reference, len(datasets)))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_csv(efficiency):
    out = efficiency.copy()
    for column in ("final_train_acc", "target", "ratio_to_reference"):
        out[column] = out[column].round(4)
    return out.to_csv(index=False, na_rep="")


def pairwise_to_csv(pairwise):
    out = pairwise.copy()
    for column in ("target", "baseline_queries", "reference_queries"):
        out[column] = out[column].round(4)
    return out.to_csv(index=False, na_rep="")
