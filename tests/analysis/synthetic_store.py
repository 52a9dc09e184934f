"""Builds sweep stores with known values, in the layout `bbpt sweep` writes (docs/sweeps.md)."""
import hashlib
import json
import os


class SyntheticStore:
    """store = SyntheticStore(root, "name"); store.trial(...) per trial; the manifest follows the calls."""

    def __init__(self, root, name="synthetic"):
        self.root = root
        self.planned = []
        os.makedirs(os.path.join(root, "trials"), exist_ok=True)
        with open(os.path.join(root, "sweep.yaml"), "w") as f:
            f.write(f"name: {name}\n")

    def trial(self, method, dataset, seed, status="done", test_acc=None, train_acc=None, budget=1000,
              curve=None, test_points=None, algorithm=None, reason="scripted failure", queries_per_step=10):
        """status: done | failed | incomplete | pending | stale (result.json of another config).

        curve: train accuracy (fraction) as a function of queries, logged every queries_per_step;
        test_points: {queries: accuracy} logged as test_acc_subset at those steps.
        """
        trial_id = hashlib.sha256(f"{method}/{dataset}/{seed}".encode()).hexdigest()[:16]
        algorithm = algorithm or method
        config = {"method": algorithm, "dataset": dataset, "seed": seed, "shots": 16, "budget": budget}
        spec = {"id": trial_id, "index": len(self.planned), "method": method, "algorithm": algorithm,
                "dataset": dataset, "seed": seed, "shots": 16, "config": config}
        self.planned.append(spec)
        with open(os.path.join(self.root, "manifest.jsonl"), "w") as f:
            for p in self.planned:
                f.write(json.dumps(p) + "\n")
        if status == "pending":
            return trial_id
        directory = os.path.join(self.root, "trials", trial_id)
        os.makedirs(directory)
        with open(os.path.join(directory, "trial.json"), "w") as f:
            json.dump(spec, f)
        config_text = json.dumps(config, indent=2) + "\n"
        with open(os.path.join(directory, "config.json"), "w") as f:
            f.write(config_text)
        steps = budget // queries_per_step if budget else 0
        with open(os.path.join(directory, "metrics.jsonl"), "w") as f:
            for step in range(1, steps + 1):
                q = step * queries_per_step
                line = {"step": step, "queries": q, "train_loss": 1.0 - (curve(q) if curve else 0.5),
                        "train_acc": curve(q) if curve else 0.5}
                if test_points and q in test_points:
                    line["test_acc_subset"] = test_points[q]
                    line["test_subset_size"] = 1000
                f.write(json.dumps(line) + "\n")
                if status == "incomplete" and step == steps // 2:
                    break
        if status == "failed":
            with open(os.path.join(directory, "failed.json"), "w") as f:
                json.dump({"id": trial_id, "reason": reason, "time": "2026-11-22T00:00:00Z"}, f)
        if status in ("done", "stale"):
            sha = hashlib.sha256(config_text.encode()).hexdigest()
            if status == "stale":
                sha = "0" * 64
            result = {"method": algorithm, "dataset": dataset, "seed": seed, "shots": 16, "budget": budget,
                      "queries_used": budget, "steps": steps, "train_loss": 0.5,
                      "train_acc": curve(budget) if curve else 0.5, "test_acc": test_acc,
                      "test_images": 10000, "config_sha256": sha, "wall_time_s": 12.5}
            with open(os.path.join(directory, "result.json"), "w") as f:
                json.dump(result, f)
        return trial_id

    def evaluation(self, trial_id, target_dataset, test_acc, target_classes="all", classes="all", stale=False):
        """trials/<id>/evaluations/<target>.json as run/evaluation.h writes it (stale: of another result)."""
        directory = os.path.join(self.root, "trials", trial_id)
        with open(os.path.join(directory, "result.json")) as f:
            result = json.load(f)
        evaluation = {"trial_dir": directory, "target_dataset": target_dataset, "target_classes": target_classes,
                      "classes": classes, "test_acc": test_acc, "test_images": 100, "num_classes": 5,
                      "learned_prompt_sha256": "0" * 64 if stale else result.get("learned_prompt_sha256"),
                      "config_sha256": result["config_sha256"]}
        os.makedirs(os.path.join(directory, "evaluations"), exist_ok=True)
        name = f"{target_dataset.replace(':', '_')}-{target_classes}{'-stale' if stale else ''}.json"
        with open(os.path.join(directory, "evaluations", name), "w") as f:
            json.dump(evaluation, f)
