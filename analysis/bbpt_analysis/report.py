"""Writes DIR/report/: report.md with the table, the curves and the query efficiency, and the files
behind them (summary.{md,tex,csv}, efficiency.{md,csv}, efficiency_pairwise.csv,
*_vs_queries.{png,pdf}). Reads the store only; every file is written under a temporary name and renamed."""
import datetime
import os

from . import efficiency as eff
from . import protocols, summary
from .curves import Smoothing
from .plots import METRICS, plot_all
from .store import load_store, ordered


def _write(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _status_line(trials):
    counts = trials["status"].value_counts()
    parts = [f"{counts.get(s, 0)} {s}" for s in ("done", "failed", "incomplete", "pending")]
    return f"{len(trials)} planned: " + ", ".join(parts) + "."


def _setup_lines(store):
    trials = store.trials
    lines = []
    budgets = []
    for method in ordered(trials["method"]):
        values = sorted({int(b) for b in trials[trials["method"] == method]["budget"].dropna()})
        budgets.append(f"{method} {'/'.join(str(b) for b in values) if values else '?'}")
    lines.append("Query budget per trial: " + ", ".join(budgets) + " (0: no queries: zero-shot, or CoOp's "
                 "gradient epochs).")
    shots = sorted({int(s) for s in trials["shots"].dropna()})
    seeds = sorted({int(s) for s in trials["seed"]})
    lines.append(f"Shots: {', '.join(map(str, shots)) or '?'}; seeds: {', '.join(map(str, seeds))}; "
                 f"datasets: {', '.join(ordered(trials['dataset']))}.")
    return lines


def _cost_table(trials):
    done = trials[trials["status"] == "done"]
    if done.empty:
        return ""
    lines = ["| method | done trials | queries per trial | wall time per trial (s) | total (min) |",
             "|---|---:|---:|---:|---:|"]
    for method in ordered(done["method"]):
        d = done[done["method"] == method]
        lines.append(f"| {method} | {len(d)} | {d['queries_used'].mean():.0f} | {d['wall_time_s'].mean():.1f} | "
                     f"{d['wall_time_s'].sum() / 60:.1f} |")
    return "\n".join(lines) + "\n"


def _failures(trials):
    failed = trials[trials["status"] == "failed"]
    if failed.empty:
        return ""
    lines = ["| trial | method | dataset | seed | reason |", "|---|---|---|---:|---|"]
    for _, t in failed.iterrows():
        reason = str(t["reason"]).replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {t['id']} | {t['method']} | {t['dataset']} | {t['seed']} | {reason} |")
    return "\n".join(lines) + "\n"


def write_report(store_dir, out_dir=None, smoothing=Smoothing(), now=None):
    """Builds the report of the sweep store at store_dir; returns the path of report.md."""
    store = load_store(store_dir)
    out_dir = out_dir or os.path.join(store_dir, "report")
    os.makedirs(out_dir, exist_ok=True)
    trials = store.trials

    cells = summary.summary_cells(trials)
    _write(os.path.join(out_dir, "summary.md"), summary.to_markdown(cells))
    _write(os.path.join(out_dir, "summary.tex"), summary.to_latex(cells))
    _write(os.path.join(out_dir, "summary.csv"), summary.to_csv(cells))

    reference = eff.reference_method(trials)
    curves = eff.dataset_curves(store, smoothing)  # smoothed once for both efficiency tables
    efficiency = eff.query_efficiency(store, smoothing, curves=curves)
    _write(os.path.join(out_dir, "efficiency.md"), eff.to_markdown(efficiency, reference))
    _write(os.path.join(out_dir, "efficiency.csv"), eff.to_csv(efficiency))

    figures = plot_all(store, out_dir, smoothing)

    now = now or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = [f"# Sweep report: {store.name}", "",
          f"Store `{os.path.abspath(store_dir)}`, read {now} by `bbpt report` (analysis/bbpt_analysis).",
          "", "Trials: " + _status_line(trials)]
    md += _setup_lines(store)
    md += ["", "## Test accuracy", "",
           "Top-1 accuracy (%) of the final prompt on the full test split, mean ± sample std over seeds; n = "
           "seeds done (failed, incomplete and pending seeds are counted beside it, never as zero). **Bold**: "
           "the best black-box method per column; zero-shot and white-box rows are references, not ranked. The "
           "average is the mean of a method's dataset means, given only when it has all datasets.", "",
           summary.to_markdown(cells),
           "Also as [summary.tex](summary.tex) (LaTeX, booktabs) and [summary.csv](summary.csv).", "",
           "## Curves", ""]
    if figures:
        md.append(f"Mean over seeds with a ±1 std band, against CLIP queries (one query = one forward of one "
                  f"mini-batch under one prompt setting). Training accuracy and loss are per-step mini-batch "
                  f"values averaged over a trailing window of {100 * smoothing.window_fraction:.0f}% of the "
                  f"dataset's largest budget, read at {smoothing.points} points; test accuracy is measured on a "
                  f"fixed test subset every `eval_every` queries. Done trials only.")
        md.append("")
        for metric, paths in figures.items():
            md += [f"![{METRICS[metric][1]}]({os.path.basename(paths[0])})",
                   f"([PDF]({os.path.basename(paths[1])}))", ""]
    else:
        md += ["No done trial spends queries yet, so there is nothing to plot.", ""]
    md += ["## Query efficiency", "",
           f"Per dataset, the target is the best baseline's final training accuracy: the highest end point of "
           f"the smoothed seed-mean training-accuracy curves (as plotted above) among the black-box methods "
           f"other than {reference or 'ZIP'}. Each cell is the first query count at which a method's curve "
           f"reaches the target, and in parentheses its ratio to {reference or 'ZIP'}'s (2.00x: twice ZIP's "
           f"queries). This follows the ZIP paper's Fig. (a)-(b), which reports ZIP reaching the baselines' "
           f"accuracy with fewer queries (BAR 1,829, BlackVIP 2,197, BPT-VLM 997, ZIP 518); the paper's exact "
           f"definition was not available, so this is bbpt's. See [efficiency.csv](efficiency.csv).", "",
           eff.to_markdown(efficiency, reference), ""]
    pairwise = eff.pairwise_efficiency(store, smoothing, curves=curves)
    _write(os.path.join(out_dir, "efficiency_pairwise.csv"), eff.pairwise_to_csv(pairwise))
    md += [f"Per baseline: each baseline's own final training accuracy as the target, the queries "
           f"{reference or 'ZIP'} needs to reach it (in parentheses, as a ratio to the baseline's) and the "
           f"queries the baseline needs itself. See [efficiency_pairwise.csv](efficiency_pairwise.csv).", "",
           eff.pairwise_markdown(pairwise, reference or "zip"), ""]
    protocol_md, protocol_files = protocols.sections(store)
    for name, text in protocol_files.items():
        _write(os.path.join(out_dir, name), text)
    md += protocol_md
    md += ["## Cost", "", _cost_table(trials) or "No done trial yet.\n"]
    failures = _failures(trials)
    if failures:
        md += ["## Failed trials", "", "Recorded in `trials/<id>/failed.json`; `bbpt sweep resume DIR "
               "--retry-failed` runs them again.", "", failures]
    unfinished = trials[trials["status"].isin(["incomplete", "pending"])]
    if not unfinished.empty:
        counts = unfinished.groupby(["method", "status"], sort=False).size()
        md += ["## Not finished", "",
               f"{len(unfinished)} trial(s) are left out above; `bbpt sweep resume DIR` continues them: "
               + ", ".join(f"{method} {count} {status}" for (method, status), count in counts.items()) + ".", ""]
    report_path = os.path.join(out_dir, "report.md")
    _write(report_path, "\n".join(md).rstrip() + "\n")
    return report_path

