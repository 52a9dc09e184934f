"""The protocol tables (docs/protocols.md): base-to-new, cross-dataset and OOD.

A trial's evaluations are in trials/<id>/evaluations/*.json (`bbpt eval`, or a sweep's `evaluate:`);
one counts when its learned_prompt_sha256 and config_sha256 are those of the trial's result.json (an
evaluation of an earlier result of the directory does not). Accuracies are in percent, means over
the seeds that have the evaluation (n).

- Base-to-new: trials trained with classes: base; base = the evaluation on (dataset, base) (equal to
  the trial's own test accuracy), new = the one on (dataset, new), H = 2 base new / (base + new) of
  the seed means, as CoOp/CoCoOp report it. The average row takes the mean of the dataset means of
  base and new and their harmonic mean, when a method has every dataset.
- Cross-dataset: trials trained on all classes, evaluated on other datasets' full class sets; the
  source column is the trial's own test accuracy, the average is over the targets.
- OOD: the same, for the targets that are ImageNet's variants (OOD_TARGETS).
"""
import glob
import json
import math
import os

import pandas as pd

from .store import ordered

OOD_TARGETS = ("coop:ImageNetV2", "coop:ImageNetSketch", "coop:ImageNetA", "coop:ImageNetR")
DECIMALS = 2
SOURCE = "(source)"  # the target key of the source dataset's own accuracy in transfer()
EVALUATION_COLUMNS = ["id", "method", "kind", "dataset", "classes", "seed", "target_dataset",
                      "target_classes", "test_acc", "source_acc"]


def _json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError):
        return None


def load_evaluations(store):
    """One row per (done trial, target) of the store's current evaluations; accuracies in percent."""
    rows = []
    done = store.trials[store.trials["status"] == "done"]
    for _, t in done.iterrows():
        directory = os.path.join(store.root, "trials", t["id"])
        result = _json(os.path.join(directory, "result.json")) or {}
        for path in sorted(glob.glob(os.path.join(directory, "evaluations", "*.json"))):
            e = _json(path)
            if not isinstance(e, dict) or "test_acc" not in e:
                continue
            if (e.get("learned_prompt_sha256") != result.get("learned_prompt_sha256")
                    or e.get("config_sha256") != result.get("config_sha256")):
                continue
            rows.append({"id": t["id"], "method": t["method"], "kind": t["kind"], "dataset": t["dataset"],
                         "classes": e.get("classes", "all"), "seed": int(t["seed"]),
                         "target_dataset": e["target_dataset"], "target_classes": e.get("target_classes", "all"),
                         "test_acc": 100.0 * float(e["test_acc"]), "source_acc": t["test_acc"]})
    return pd.DataFrame(rows, columns=EVALUATION_COLUMNS)


def harmonic_mean(base, new):
    if math.isnan(base) or math.isnan(new) or base + new <= 0:
        return math.nan
    return 2.0 * base * new / (base + new)


def _fmt(value, n=None):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{DECIMALS}f}" + (f" (n={n})" if n is not None else "")


def base_to_new(evaluations):
    """Long table: method, dataset, base, new, hm, n_base, n_new; plus (method, 'average') rows."""
    trained = evaluations[(evaluations["classes"] == "base")
                          & (evaluations["target_dataset"] == evaluations["dataset"])]
    rows = []
    for method in ordered(trained["method"]):
        of_method = trained[trained["method"] == method]
        datasets = ordered(of_method["dataset"])
        bases, news = [], []
        for dataset in datasets:
            cell = of_method[of_method["dataset"] == dataset]
            base = cell[cell["target_classes"] == "base"]["test_acc"]
            new = cell[cell["target_classes"] == "new"]["test_acc"]
            b = float(base.mean()) if len(base) else math.nan
            n = float(new.mean()) if len(new) else math.nan
            bases.append(b)
            news.append(n)
            rows.append(dict(method=method, dataset=dataset, base=b, new=n, hm=harmonic_mean(b, n),
                             n_base=len(base), n_new=len(new)))
        if len(datasets) > 1:
            complete = not any(math.isnan(v) for v in bases + news)
            b = sum(bases) / len(bases) if complete else math.nan
            n = sum(news) / len(news) if complete else math.nan
            rows.append(dict(method=method, dataset="average", base=b, new=n, hm=harmonic_mean(b, n),
                             n_base=len(datasets), n_new=len(datasets)))
    return pd.DataFrame(rows, columns=["method", "dataset", "base", "new", "hm", "n_base", "n_new"])


def base_to_new_markdown(table):
    lines = ["| method | dataset | base | new | H |", "|---|---|---:|---:|---:|"]
    for _, r in table.iterrows():
        average = r["dataset"] == "average"
        lines.append(f"| {r['method']} | {r['dataset']} | {_fmt(r['base'], None if average else r['n_base'])} | "
                     f"{_fmt(r['new'], None if average else r['n_new'])} | {_fmt(r['hm'])} |")
    return "\n".join(lines) + "\n"


def transfer(evaluations, ood):
    """Long table of (method, source) x targets: cross-dataset (ood=False) or OOD (ood=True).

    Columns: method, source, target, mean, n; the source's own accuracy has target == SOURCE, and
    'average' is the mean over the targets."""
    e = evaluations[(evaluations["classes"] == "all") & (evaluations["target_classes"] == "all")
                    & (evaluations["target_dataset"] != evaluations["dataset"])]
    e = e[e["target_dataset"].isin(OOD_TARGETS) == ood]
    rows = []
    for (method, source), cell in e.groupby(["method", "dataset"], sort=False):
        own = cell.drop_duplicates("id")["source_acc"].dropna()
        rows.append(dict(method=method, source=source, target=SOURCE, mean=float(own.mean()) if len(own) else
                         math.nan, n=len(own)))
        means = []
        for target in ordered(cell["target_dataset"]):
            values = cell[cell["target_dataset"] == target]["test_acc"]
            means.append(float(values.mean()))
            rows.append(dict(method=method, source=source, target=target, mean=means[-1], n=len(values)))
        rows.append(dict(method=method, source=source, target="average", mean=sum(means) / len(means),
                         n=len(means)))
    return pd.DataFrame(rows, columns=["method", "source", "target", "mean", "n"])


def transfer_markdown(table):
    """One row per (method, source): the source's accuracy, each target's, and their average."""
    if table.empty:
        return ""
    targets = [t for t in ordered(table["target"]) if t not in ("average", SOURCE)]
    # ImageNet's variants in the papers' order (V2, Sketch, A, R), the other targets as they come.
    targets.sort(key=lambda t: OOD_TARGETS.index(t) if t in OOD_TARGETS else -1)
    columns = targets + ["average"]
    lines = ["| method | source | source acc | " + " | ".join(columns) + " |",
             "|---|---|---:|" + "---:|" * len(columns)]
    for (method, source), cell in table.groupby(["method", "source"], sort=False):
        at = {r["target"]: r for _, r in cell.iterrows()}
        texts = [_fmt(at[c]["mean"], None if c == "average" else at[c]["n"]) if c in at else "–" for c in columns]
        own = at.get(SOURCE)
        lines.append(f"| {method} | {source} | {_fmt(own['mean'], own['n']) if own is not None else '–'} | "
                     + " | ".join(texts) + " |")
    return "\n".join(lines) + "\n"


def sections(store):
    """The report's protocol sections (Markdown lines) and the files behind them {name: text}."""
    evaluations = load_evaluations(store)
    if evaluations.empty:
        return [], {}
    md, files = [], {"evaluations.csv": evaluations.round(4).to_csv(index=False, na_rep="")}
    b2n = base_to_new(evaluations)
    if not b2n.empty:
        files["base_to_new.md"] = base_to_new_markdown(b2n)
        md += ["## Base-to-new", "",
               "Trained on the base classes (the first half of the sorted classes, Dassl's subsample_classes), "
               "the same prompt evaluated on the base and the new test classes; test accuracy (%), mean over "
               "seeds (n); H is the harmonic mean of the two means.", "", files["base_to_new.md"]]
    for ood, title, what in ((False, "Cross-dataset", "other datasets (all their classes)"),
                             (True, "Out of distribution", "ImageNet's variants (-V2, -Sketch, -A, -R)")):
        table = transfer(evaluations, ood)
        if table.empty:
            continue
        name = "ood.md" if ood else "cross_dataset.md"
        files[name] = transfer_markdown(table)
        md += [f"## {title}", "",
               f"A prompt trained on the source dataset, evaluated on {what} with their class names; test "
               "accuracy (%), mean over seeds (n); the average is over the targets.", "", files[name]]
    return md, files
