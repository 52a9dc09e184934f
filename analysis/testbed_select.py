#!/usr/bin/env python3
"""The task-selection table of issue #17 (docs/results.md) from a testbed_select sweep directory.

Usage: testbed_select.py DIR
Reads DIR/zeroshot/<task>.json (`bbpt zeroshot --json`) and DIR/trials/*/result.json (CoOp) and
prints one Markdown row per task: the best hand-crafted template's zero-shot test accuracy, CoOp's
per seed, mean and std, the gap, and whether the task qualifies (gap >= 10 points, zero-shot well
above chance, taken here as at least twice chance). Tasks without all 3 CoOp seeds are marked so.
"""
import json
import os
import statistics
import sys


def main():
    root = sys.argv[1]
    zeroshot = {}
    for name in sorted(os.listdir(os.path.join(root, "zeroshot"))):
        with open(os.path.join(root, "zeroshot", name)) as f:
            result = json.load(f)
        zeroshot[result["dataset"]] = result
    coop = {}
    for dirpath, _, files in os.walk(os.path.join(root, "trials")):
        if "result.json" not in files:
            continue
        with open(os.path.join(dirpath, "result.json")) as f:
            result = json.load(f)
        if result.get("method") != "coop":
            continue
        coop.setdefault(result["dataset"], {})[result["seed"]] = 100.0 * result["test_acc"]
    print("| task | classes | zero-shot, best template | CoOp seeds 1/2/3 | CoOp mean +- std | gap | qualifies |")
    print("|---|---:|---|---|---:|---:|---|")
    for task in sorted(set(zeroshot) | set(coop)):
        zs = zeroshot.get(task)
        zs_acc = 100.0 * zs["best_accuracy"] if zs else None
        zs_text = f'{zs_acc:.2f}% "{zs["best_template"]}"' if zs else "not run"
        seeds = coop.get(task, {})
        per_seed = " / ".join(f"{seeds[s]:.2f}" if s in seeds else "-" for s in (1, 2, 3))
        if seeds:
            values = list(seeds.values())
            mean = statistics.fmean(values)
            std = statistics.stdev(values) if len(values) > 1 else 0.0
            mean_text = f"{mean:.2f} +- {std:.2f} ({len(values)})"
        else:
            mean, mean_text = None, "not run"
        num_classes = 12 if task.startswith("flowers12") else 10
        chance = 100.0 / num_classes
        if zs_acc is not None and mean is not None:
            gap = mean - zs_acc
            done = len(seeds) == 3
            qualifies = gap >= 10.0 and zs_acc >= 2 * chance
            verdict = ("yes" if qualifies else "no") + ("" if done else " (seeds missing)")
            gap_text = f"{gap:+.2f}"
        else:
            gap_text, verdict = "-", "not measured"
        print(f"| {task} | {num_classes} | {zs_text} | {per_seed} | {mean_text} | {gap_text} | {verdict} |")


if __name__ == "__main__":
    main()
