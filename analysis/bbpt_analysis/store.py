"""Reads a sweep store (docs/sweeps.md) into two tables; never writes it.

The store's truth is its trial directories, so a report works whether or not `bbpt sweep merge` has
run, on a sweep that is still running, and on one with failed trials:

  DIR/manifest.jsonl        the planned trials, in grid order (one JSON object per line)
  DIR/trials/<id>/          trial.json, config.json, result.json | failed.json, metrics.jsonl

A trial is done when result.json parses and its config_sha256 is the SHA-256 of config.json (the
rule of `bbpt sweep status`); failed when failed.json exists and it is not done; incomplete when it
has started (metrics or a checkpoint) but is neither; pending otherwise.
"""
import hashlib
import json
import os
from dataclasses import dataclass

import pandas as pd

# How a method's algorithm enters the comparison: black-box methods spend queries and compete for
# "best"; the white-box CoOp and zero-shot CLIP are references, shown but not ranked.
REFERENCE_ALGORITHMS = {"zeroshot": "zero-shot", "coop": "white-box"}

TRIAL_COLUMNS = ["id", "index", "method", "algorithm", "kind", "dataset", "seed", "shots", "budget",
                 "status", "reason", "test_acc", "train_acc", "train_loss", "queries_used", "steps",
                 "wall_time_s"]
METRIC_COLUMNS = ["id", "method", "dataset", "seed", "step", "queries", "train_loss", "train_acc",
                  "test_acc_subset"]


class StoreError(Exception):
    """A store that cannot be read: names the file and what is wrong with it."""


@dataclass
class Store:
    root: str
    name: str
    trials: pd.DataFrame   # one row per trial, TRIAL_COLUMNS; accuracies in percent
    metrics: pd.DataFrame  # one row per step of a done trial, METRIC_COLUMNS; accuracies in percent


def kind_of(algorithm):
    return REFERENCE_ALGORITHMS.get(algorithm, "black-box")


def _read_json(path):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError) as e:
        raise StoreError(f"{path}: not readable JSON ({e})") from e


def _read_jsonl(path):
    rows = []
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line.decode("utf-8")))
            except ValueError as e:
                # A trial killed mid-write can leave a torn last line; anything earlier is damage.
                if line.endswith(b"\n"):
                    raise StoreError(f"{path}:{number}: not a JSON object ({e})") from e
    return rows


def _sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _planned_trials(root):
    """The manifest's trials in grid order, then trial directories the manifest does not name."""
    planned = []
    manifest = os.path.join(root, "manifest.jsonl")
    if os.path.exists(manifest):
        planned = _read_jsonl(manifest)
    known = {t["id"] for t in planned}
    trials_dir = os.path.join(root, "trials")
    if os.path.isdir(trials_dir):
        for trial_id in sorted(os.listdir(trials_dir)):
            spec = os.path.join(trials_dir, trial_id, "trial.json")
            if trial_id not in known and os.path.exists(spec):
                planned.append(_read_json(spec))
                known.add(trial_id)
    for number, t in enumerate(planned):
        for key in ("id", "method", "dataset", "seed"):
            if key not in t:
                raise StoreError(f"{manifest}: trial {number} has no '{key}'")
    return planned


def _trial_row(root, planned):
    directory = os.path.join(root, "trials", planned["id"])
    config = planned.get("config", {})
    algorithm = planned.get("algorithm", planned["method"])
    row = {
        "id": planned["id"], "index": planned.get("index"), "method": planned["method"],
        "algorithm": algorithm, "kind": kind_of(algorithm), "dataset": planned["dataset"],
        "seed": int(planned["seed"]), "shots": planned.get("shots"), "budget": config.get("budget"),
        "status": "pending", "reason": None,
    }
    result_path = os.path.join(directory, "result.json")
    config_path = os.path.join(directory, "config.json")
    done = False
    if os.path.exists(result_path) and os.path.exists(config_path):
        try:
            result = _read_json(result_path)
            done = result.get("config_sha256") == _sha256_of(config_path)
        except StoreError:
            done = False
        if done:
            row.update(status="done",
                       test_acc=100.0 * result["test_acc"], train_acc=100.0 * result["train_acc"],
                       train_loss=result.get("train_loss"), queries_used=result.get("queries_used"),
                       steps=result.get("steps"), wall_time_s=result.get("wall_time_s"))
    if not done:
        failed_path = os.path.join(directory, "failed.json")
        if os.path.exists(failed_path):
            row.update(status="failed", reason=_read_json(failed_path).get("reason", "(no reason recorded)"))
        elif any(os.path.exists(os.path.join(directory, f)) for f in ("checkpoint.bin", "metrics.jsonl")):
            row["status"] = "incomplete"
    return row


def _metric_rows(root, row):
    path = os.path.join(root, "trials", row["id"], "metrics.jsonl")
    if not os.path.exists(path):
        return []
    out = []
    for m in _read_jsonl(path):
        out.append({
            "id": row["id"], "method": row["method"], "dataset": row["dataset"], "seed": row["seed"],
            "step": m.get("step"), "queries": m.get("queries"), "train_loss": m.get("train_loss"),
            "train_acc": None if m.get("train_acc") is None else 100.0 * m["train_acc"],
            "test_acc_subset": None if m.get("test_acc_subset") is None else 100.0 * m["test_acc_subset"],
        })
    return out


def load_store(root):
    """Reads DIR (a sweep store) into a Store. Raises StoreError naming the file at fault."""
    if not os.path.isdir(root):
        raise StoreError(f"{root}: no such directory (give the sweep's store, e.g. sweeps/demo)")
    planned = _planned_trials(root)
    if not planned:
        raise StoreError(f"{root}: neither manifest.jsonl nor trials/*/trial.json; is this a sweep store "
                         "(`bbpt sweep run FILE --dir DIR`)?")
    rows = [_trial_row(root, p) for p in planned]
    trials = pd.DataFrame(rows).reindex(columns=TRIAL_COLUMNS)
    metric_rows = []
    for row in rows:
        if row["status"] == "done":
            metric_rows.extend(_metric_rows(root, row))
    metrics = pd.DataFrame(metric_rows, columns=METRIC_COLUMNS)
    for column in ("queries", "train_loss", "train_acc", "test_acc_subset"):
        metrics[column] = pd.to_numeric(metrics[column])
    for column in ("test_acc", "train_acc", "train_loss", "queries_used", "steps", "wall_time_s"):
        trials[column] = pd.to_numeric(trials[column])
    name = os.path.basename(os.path.normpath(root))
    sweep_yaml = os.path.join(root, "sweep.yaml")
    if os.path.exists(sweep_yaml):
        with open(sweep_yaml, encoding="utf-8") as f:
            for line in f:
                if line.startswith("name:"):
                    name = line.split(":", 1)[1].strip().strip("'\"") or name
                    break
    return Store(root=root, name=name, trials=trials, metrics=metrics)


def ordered(values):
    """Distinct values in order of first appearance (grid order)."""
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen
