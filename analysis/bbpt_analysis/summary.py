"""The paper's table: methods x datasets (+ average), test accuracy mean +- std over seeds, with n.

Cells aggregate the done trials of a (method, dataset); std is the sample standard deviation
(ddof = 1) and is left out when n = 1. A cell with no done trial is missing, never zero. The
average column is the mean of a method's dataset means, given only when the method has every
dataset of the table. The best black-box mean per column (at the printed precision; ties all win)
is marked; zero-shot and white-box rows are references and are not ranked.
"""
import math

import pandas as pd

from .store import ordered

AVERAGE = "average"
DECIMALS = 2


def summary_cells(trials):
    """Long table: one row per (method, dataset) of the grid plus (method, 'average').

    Columns: method, kind, dataset, n, mean, std, failed, incomplete, pending, best.
    """
    methods = ordered(trials["method"])
    datasets = ordered(trials["dataset"])
    rows = []
    for method in methods:
        of_method = trials[trials["method"] == method]
        kind = of_method["kind"].iloc[0]
        means = []
        for dataset in datasets:
            cell = of_method[of_method["dataset"] == dataset]
            if cell.empty:
                rows.append(dict(method=method, kind=kind, dataset=dataset, n=0, mean=math.nan, std=math.nan,
                                 failed=0, incomplete=0, pending=0, planned=False, datasets=len(datasets)))
                means.append(math.nan)
                continue
            done = cell[cell["status"] == "done"]["test_acc"]
            n = int(done.count())
            mean = float(done.mean()) if n else math.nan
            std = float(done.std(ddof=1)) if n >= 2 else math.nan
            rows.append(dict(method=method, kind=kind, dataset=dataset, n=n, mean=mean, std=std,
                             failed=int((cell["status"] == "failed").sum()),
                             incomplete=int((cell["status"] == "incomplete").sum()),
                             pending=int((cell["status"] == "pending").sum()), planned=True,
                             datasets=len(datasets)))
            means.append(mean)
        complete = all(not math.isnan(m) for m in means)
        rows.append(dict(method=method, kind=kind, dataset=AVERAGE,
                         n=len(datasets) if complete else sum(not math.isnan(m) for m in means),
                         mean=float(sum(means) / len(means)) if complete and means else math.nan,
                         std=math.nan, failed=0, incomplete=0, pending=0, planned=True, datasets=len(datasets)))
    cells = pd.DataFrame(rows)
    cells["best"] = False
    for dataset in datasets + [AVERAGE]:
        column = cells[(cells["dataset"] == dataset) & cells["mean"].notna()]
        ranked = column[column["kind"] == "black-box"]
        if ranked.empty:
            continue
        top = ranked["mean"].round(DECIMALS).max()
        cells.loc[ranked.index[ranked["mean"].round(DECIMALS) == top], "best"] = True
    return cells


def _status_note(cell):
    notes = []
    for key in ("failed", "incomplete", "pending"):
        if cell[key]:
            notes.append(f"{cell[key]} {key}")
    return notes


def cell_text(cell):
    """'85.81 ± 0.03 (n=3)'; '85.81 (n=1)'; '– (2 failed)'; '–' when not in the grid."""
    notes = _status_note(cell)
    if math.isnan(cell["mean"]):
        if cell["dataset"] == AVERAGE and cell["n"]:
            notes = [f"{cell['n']} of {cell['datasets']} datasets"]
        return "–" + (f" ({'; '.join(notes)})" if notes else "")
    text = f"{cell['mean']:.{DECIMALS}f}"
    if not math.isnan(cell["std"]):
        text += f" ± {cell['std']:.{DECIMALS}f}"
    if cell["dataset"] != AVERAGE:
        text += f" (n={cell['n']}" + "".join(f"; {note}" for note in notes) + ")"
    return text


def _grid(cells):
    methods = ordered(cells["method"])
    datasets = ordered(cells["dataset"])
    return methods, datasets, {(c["method"], c["dataset"]): c for _, c in cells.iterrows()}


def _row_label(method, kind):
    """The method, with its kind when that is not black-box and the name does not already say it."""
    return method if kind == "black-box" or method.startswith("zeroshot") else f"{method} ({kind})"


def to_markdown(cells):
    methods, datasets, at = _grid(cells)
    lines = ["| method | " + " | ".join(datasets) + " |",
             "|---|" + "---:|" * len(datasets)]
    for method in methods:
        texts = []
        for d in datasets:
            c = at[(method, d)]
            t = cell_text(c)
            texts.append(f"**{t}**" if c["best"] else t)
        lines.append(f"| {_row_label(method, at[(method, datasets[0])]['kind'])} | " + " | ".join(texts) + " |")
    return "\n".join(lines) + "\n"


def _latex_escape(text):
    for a, b in (("\\", "\\textbackslash{}"), ("_", "\\_"), ("%", "\\%"), ("&", "\\&"), ("#", "\\#")):
        text = text.replace(a, b)
    return text


def to_latex(cells, caption="Test accuracy (\\%), mean $\\pm$ std over seeds (n)."):
    methods, datasets, at = _grid(cells)
    lines = ["\\begin{table}[t]", "\\centering", f"\\caption{{{caption}}}",
             "\\begin{tabular}{l" + "c" * len(datasets) + "}", "\\toprule",
             "Method & " + " & ".join(_latex_escape(d) for d in datasets) + " \\\\", "\\midrule"]
    for method in methods:
        texts = []
        for d in datasets:
            c = at[(method, d)]
            t = _latex_escape(cell_text(c)).replace("±", "$\\pm$").replace("–", "--")
            texts.append(f"\\textbf{{{t}}}" if c["best"] else t)
        label = _latex_escape(_row_label(method, at[(method, datasets[0])]["kind"]))
        lines.append(f"{label} & " + " & ".join(texts) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines) + "\n"


def to_csv(cells):
    out = cells.drop(columns=["planned", "datasets"]).copy()
    for column in ("mean", "std"):
        out[column] = out[column].round(4)
    return out.to_csv(index=False, na_rep="")
