"""Training curves against queries, mean over seeds with a +- std band.

A step's training accuracy and loss are measured on one mini-batch, so they are noisy; a curve is
therefore read on a query grid through a trailing window (the ZIP paper's Fig. (b) plots smoothed
training accuracy against queries the same way):

  grid      q_k = k * spacing, k = 1, 2, ...  (spacing = the dataset's largest budget / points)
  value     v_s(q_k) = mean of the metric over the steps of seed s with queries in (q_k - window, q_k]
  curve     mean and sample std over the seeds of v_s(q_k); a seed contributes only up to its last
            step, and only where its window holds a step (a curve never extends past its data)

Test accuracy is measured on a fixed test subset at fixed query counts (`eval_every`); those points
are averaged over seeds as they are, at the multiple of eval_every each evaluation belongs to.
"""
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Smoothing:
    points: int = 100         # grid points over the dataset's largest budget
    window_fraction: float = 0.05  # trailing window, as a fraction of that budget

    def grid(self, max_queries):
        """(grid, window) for a dataset whose longest trial used max_queries queries."""
        if max_queries <= 0:
            return np.array([], dtype=float), 0.0
        spacing = max_queries / self.points
        window = max(spacing, self.window_fraction * max_queries)
        return spacing * np.arange(1, self.points + 1), window


def seed_curve(steps, column, grid, window):
    """v_s(q) on the grid for one trial's steps (DataFrame with queries and column); NaN where empty."""
    queries = steps["queries"].to_numpy(dtype=float)
    values = steps[column].to_numpy(dtype=float)
    keep = ~np.isnan(values)
    queries, values = queries[keep], values[keep]
    out = np.full(len(grid), np.nan)
    if len(queries) == 0:
        return out
    last = queries.max()
    for k, q in enumerate(grid):
        if q > last + 1e-9:
            break
        in_window = (queries > q - window) & (queries <= q + 1e-9)
        if in_window.any():
            out[k] = values[in_window].mean()
    return out


def method_curve(metrics, column, grid, window):
    """DataFrame(queries, mean, std, n) over seeds for the metrics of one (method, dataset)."""
    per_seed = [seed_curve(steps.sort_values("step"), column, grid, window)
                for _, steps in metrics.groupby("id")]
    if not per_seed:
        return pd.DataFrame(columns=["queries", "mean", "std", "n"])
    stacked = np.vstack(per_seed)
    n = (~np.isnan(stacked)).sum(axis=0)
    with np.errstate(invalid="ignore"), _quiet():
        mean = np.nanmean(stacked, axis=0)
        std = np.where(n >= 2, np.nanstd(stacked, axis=0, ddof=1), np.nan)
    frame = pd.DataFrame({"queries": grid, "mean": mean, "std": std, "n": n})
    return frame[frame["n"] > 0].reset_index(drop=True)


def test_curve(metrics):
    """DataFrame(queries, mean, std, n): test-subset accuracy at its evaluation points, over seeds."""
    points = metrics.dropna(subset=["test_acc_subset"])
    if points.empty:
        return pd.DataFrame(columns=["queries", "mean", "std", "n"])
    # A method whose step costs several queries evaluates at the first step past each multiple of
    # eval_every; number the evaluations per trial so that seeds line up.
    points = points.sort_values(["id", "queries"]).copy()
    points["k"] = points.groupby("id").cumcount()
    grouped = points.groupby("k")
    frame = pd.DataFrame({
        "queries": grouped["queries"].median(),
        "mean": grouped["test_acc_subset"].mean(),
        "std": grouped["test_acc_subset"].std(ddof=1),
        "n": grouped["test_acc_subset"].count(),
    })
    return frame.reset_index(drop=True)


class _quiet:
    """Silences numpy's 'mean of empty slice' warnings for all-NaN grid columns."""

    def __enter__(self):
        import warnings
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore", category=RuntimeWarning)

    def __exit__(self, *exc):
        return self._catch.__exit__(*exc)


def final_value(curve, n_seeds):
    """(queries, mean) at the last grid point every seed reaches; (nan, nan) if there is none."""
    full = curve[curve["n"] == n_seeds]
    if full.empty:
        return math.nan, math.nan
    last = full.iloc[-1]
    return float(last["queries"]), float(last["mean"])
