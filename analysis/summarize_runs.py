#!/usr/bin/env python3
"""Summarise run directories (RUNS_DIR/**/result.json + metrics.jsonl) into the method table.

Usage: summarize_runs.py RUNS_DIR [--window N]
Prints Markdown tables: test accuracy mean +- std over seeds (n) per method and dataset; the final
train loss (running mean of the last N steps) and queries used; and, per seed, the queries ZIP
needs until its running-mean train loss first reaches BPT-VLM's final one (its selected prompt's
loss) and SPSA-GC's (its running loss at the end); all three are cross-entropy, BAR's loss is
focal, so it is not compared. Reads the runs, never writes.
"""
import argparse
import json
import math
import os
import statistics
import sys


def load_runs(root):
    runs = []
    for dirpath, _, files in os.walk(root):
        if "result.json" not in files:
            continue
        with open(os.path.join(dirpath, "result.json")) as f:
            result = json.load(f)
        metrics = []
        path = os.path.join(dirpath, "metrics.jsonl")
        if os.path.exists(path):
            with open(path) as f:
                metrics = [json.loads(line) for line in f if line.strip()]
        if result.get("variant"):  # e.g. zero-shot "generic" / "first" / "ensemble"
            result["method"] = f'{result["method"]} ({result["variant"]})'
        runs.append((result, metrics))
    return runs


def mean_std(values):
    if not values:
        return None
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std, len(values)


def smoothed_loss_curve(metrics, window):
    """(queries, running mean of the last `window` train losses) per step."""
    out, recent = [], []
    for m in metrics:
        recent.append(m["train_loss"])
        recent = recent[-window:]
        out.append((m["queries"], sum(recent) / len(recent)))
    return out


def queries_to_reach(metrics, target, window):
    for queries, loss in smoothed_loss_curve(metrics, window):
        if loss <= target:
            return queries
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--window", type=int, default=10,
                        help="steps in the running mean of the train loss (default 10)")
    args = parser.parse_args()
    runs = load_runs(args.root)
    if not runs:
        sys.exit(f"{args.root}: no result.json found")
    methods = sorted({r["method"] for r, _ in runs})
    datasets = sorted({r["dataset"] for r, _ in runs})
    cell = {}
    for r, m in runs:
        cell.setdefault((r["method"], r["dataset"]), []).append((r, m))

    print("Test accuracy (%), mean +- std over seeds (n):\n")
    print("| method | " + " | ".join(datasets) + " |")
    print("|---|" + "---|" * len(datasets))
    for method in methods:
        row = []
        for d in datasets:
            s = mean_std([100 * r["test_acc"] for r, _ in cell.get((method, d), [])])
            row.append("missing" if s is None else f"{s[0]:.2f} +- {s[1]:.2f} ({s[2]})")
        print(f"| {method} | " + " | ".join(row) + " |")

    print("\nFinal train loss (smoothed over the last %d steps), queries used:\n" % args.window)
    print("| method | " + " | ".join(datasets) + " |")
    print("|---|" + "---|" * len(datasets))
    finals = {}
    for method in methods:
        row = []
        for d in datasets:
            entries = cell.get((method, d), [])
            losses = []
            for r, m in entries:
                curve = smoothed_loss_curve(m, args.window)
                losses.append(curve[-1][1] if curve else r["train_loss"])
            finals[(method, d)] = losses
            s = mean_std(losses)
            q = mean_std([r["queries_used"] for r, _ in entries])
            row.append("missing" if s is None else f"{s[0]:.3f} +- {s[1]:.3f} @ {q[0]:.0f} q")
        print(f"| {method} | " + " | ".join(row) + " |")

    if "zip" in methods:
        print("\nQueries ZIP needs to reach each baseline's final (smoothed) train loss, per seed "
              "(mean over seeds; '>budget' when it never does):\n")
        baselines = [m for m in methods if m in ("bptvlm", "spsa-gc")]
        print("| baseline | " + " | ".join(datasets) + " |")
        print("|---|" + "---|" * len(datasets))
        for b in baselines:
            row = []
            for d in datasets:
                zips = {r["seed"]: m for r, m in cell.get(("zip", d), [])}
                base = {r["seed"]: (r, m) for r, m in cell.get((b, d), [])}
                needed = []
                for seed, (r, m) in base.items():
                    if seed not in zips:
                        continue
                    # BPT-VLM's final training loss is that of its selected prompt (result.json);
                    # SPSA-GC's is its running loss at the end of the budget.
                    curve = smoothed_loss_curve(m, args.window)
                    target = r["train_loss"] if b == "bptvlm" or not curve else curve[-1][1]
                    needed.append(queries_to_reach(zips[seed], target, args.window))
                if not needed:
                    row.append("missing")
                elif any(n is None for n in needed):
                    row.append(f">budget in {sum(n is None for n in needed)}/{len(needed)}")
                else:
                    row.append(f"{statistics.fmean(needed):.0f}")
            print(f"| {b} | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
