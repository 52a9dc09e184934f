"""analysis/bbpt_analysis on synthetic stores with known values (CTest label unit)."""
import math
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bbpt_analysis import efficiency, protocols, summary  # noqa: E402
from bbpt_analysis.curves import Smoothing, test_curve  # noqa: E402
from bbpt_analysis.report import write_report  # noqa: E402
from bbpt_analysis.store import StoreError, load_store  # noqa: E402
from synthetic_store import SyntheticStore  # noqa: E402



def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def table_store(root):
    """Two datasets; full, partial, failed, incomplete, pending and reference cells."""
    s = SyntheticStore(root, "table")
    s.trial("zeroshot", "A", 1, test_acc=0.90, budget=0)
    s.trial("zeroshot", "B", 1, test_acc=0.60, budget=0)
    for seed, acc in ((1, 0.80), (2, 0.82), (3, 0.84)):
        s.trial("zip", "A", seed, test_acc=acc)
    s.trial("zip", "B", 1, test_acc=0.50)
    s.trial("zip", "B", 2, status="incomplete")
    s.trial("zip", "B", 3, status="pending")
    s.trial("bptvlm", "A", 1, test_acc=0.70)
    s.trial("bptvlm", "A", 2, test_acc=0.74)
    s.trial("bptvlm", "A", 3, status="failed", reason="CMA-ES diverged | scripted")
    for seed in (1, 2, 3):
        s.trial("bptvlm", "B", seed, status="pending")
    s.trial("coop", "A", 1, test_acc=0.95, budget=0)
    s.trial("coop", "B", 1, status="stale", test_acc=0.99, budget=0)
    return s


def efficiency_store(root):
    """Dataset A: ZIP (2 seeds done, 1 failed) reaches BPT-VLM's final 50% at 400 queries, BPT-VLM at
    800, SPSA-GC (45%) never; dataset B has ZIP only."""
    s = SyntheticStore(root, "efficiency")
    s.trial("zip", "A", 1, test_acc=0.8, curve=lambda q: 0.6 if q >= 200 else 0.2, test_points={500: 0.70, 1000: 0.80})
    s.trial("zip", "A", 2, test_acc=0.8, curve=lambda q: 0.6 if q >= 400 else 0.2, test_points={500: 0.72, 1000: 0.84})
    s.trial("zip", "A", 3, status="failed")
    for seed in (1, 2, 3):
        s.trial("bptvlm", "A", seed, test_acc=0.7, curve=lambda q: 0.5 if q >= 800 else 0.3)
        s.trial("spsa-gc", "A", seed, test_acc=0.7, curve=lambda q: 0.45)
    s.trial("zip", "B", 1, test_acc=0.5, curve=lambda q: 0.4)
    s.trial("zeroshot", "A", 1, test_acc=0.9, budget=0)
    return s


class TableTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        table_store(self.tmp.name)
        self.store = load_store(self.tmp.name)
        self.cells = summary.summary_cells(self.store.trials)

    def tearDown(self):
        self.tmp.cleanup()

    def cell(self, method, dataset):
        c = self.cells[(self.cells["method"] == method) & (self.cells["dataset"] == dataset)]
        self.assertEqual(len(c), 1)
        return c.iloc[0]

    def test_statuses_follow_the_store_rules(self):
        status = self.store.trials.set_index(["method", "dataset", "seed"])["status"]
        self.assertEqual(status[("zip", "B", 2)], "incomplete")
        self.assertEqual(status[("zip", "B", 3)], "pending")
        self.assertEqual(status[("bptvlm", "A", 3)], "failed")
        # A result.json whose config_sha256 is not config.json's is not done.
        self.assertEqual(status[("coop", "B", 1)], "incomplete")

    def test_cells_are_mean_sample_std_and_n_of_done_seeds(self):
        self.assertEqual(summary.cell_text(self.cell("zip", "A")), "82.00 ± 2.00 (n=3)")
        self.assertEqual(summary.cell_text(self.cell("bptvlm", "A")), "72.00 ± 2.83 (n=2; 1 failed)")
        self.assertEqual(summary.cell_text(self.cell("zip", "B")), "50.00 (n=1; 1 incomplete; 1 pending)")

    def test_missing_cells_are_missing_never_zero(self):
        c = self.cell("bptvlm", "B")
        self.assertTrue(math.isnan(c["mean"]))
        self.assertEqual(summary.cell_text(c), "– (3 pending)")
        self.assertEqual(summary.cell_text(self.cell("coop", "B")), "– (1 incomplete)")
        self.assertTrue(math.isnan(self.cell("bptvlm", "average")["mean"]))

    def test_average_is_the_mean_of_dataset_means_when_complete(self):
        self.assertAlmostEqual(self.cell("zip", "average")["mean"], 66.0)
        self.assertAlmostEqual(self.cell("zeroshot", "average")["mean"], 75.0)

    def test_best_black_box_is_marked_and_references_are_not_ranked(self):
        self.assertTrue(self.cell("zip", "A")["best"])
        self.assertFalse(self.cell("bptvlm", "A")["best"])
        self.assertFalse(self.cell("zeroshot", "A")["best"])  # 90% > 82%, but a reference
        self.assertFalse(self.cell("coop", "A")["best"])
        self.assertTrue(self.cell("zip", "average")["best"])

    def test_markdown_latex_and_csv(self):
        md = summary.to_markdown(self.cells)
        self.assertIn("| method | A | B | average |", md)
        self.assertIn("| zip | **82.00 ± 2.00 (n=3)** | **50.00 (n=1; 1 incomplete; 1 pending)** | **66.00** |", md)
        self.assertIn("| coop (white-box) | 95.00 (n=1) | – (1 incomplete) | – (1 of 2 datasets) |", md)
        tex = summary.to_latex(self.cells)
        self.assertIn("zip & \\textbf{82.00 $\\pm$ 2.00 (n=3)}", tex)
        self.assertIn("\\toprule", tex)
        csv = summary.to_csv(self.cells).splitlines()
        self.assertEqual(csv[0], "method,kind,dataset,n,mean,std,failed,incomplete,pending,best")
        self.assertIn("bptvlm,black-box,A,2,72.0,2.8284,1,0,0,False", csv)
        self.assertIn("bptvlm,black-box,B,0,,,0,0,3,False", csv)


class EfficiencyTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        efficiency_store(self.tmp.name)
        self.store = load_store(self.tmp.name)
        # window = spacing = 10 queries: each grid point reads exactly one step.
        self.result = efficiency.query_efficiency(self.store, Smoothing(points=100, window_fraction=0.01))

    def tearDown(self):
        self.tmp.cleanup()

    def row(self, method, dataset="A"):
        r = self.result[(self.result["method"] == method) & (self.result["dataset"] == dataset)]
        self.assertEqual(len(r), 1)
        return r.iloc[0]

    def test_target_is_the_best_baselines_final_train_accuracy(self):
        r = self.row("zip")
        self.assertEqual(r["target_method"], "bptvlm")
        self.assertAlmostEqual(r["target"], 50.0)
        self.assertAlmostEqual(self.row("spsa-gc")["final_train_acc"], 45.0)
        self.assertAlmostEqual(r["final_train_acc"], 60.0)

    def test_queries_to_target_averages_the_done_seeds(self):
        self.assertEqual(self.row("zip")["seeds"], 2)  # seed 3 failed
        self.assertEqual(self.row("zip")["queries_to_target"], 400)  # seed 1 alone would say 200
        self.assertEqual(self.row("bptvlm")["queries_to_target"], 800)
        self.assertTrue(math.isnan(self.row("spsa-gc")["queries_to_target"]))

    def test_ratio_to_zip(self):
        self.assertAlmostEqual(self.row("bptvlm")["ratio_to_reference"], 2.0)
        self.assertAlmostEqual(self.row("zip")["ratio_to_reference"], 1.0)

    def test_a_dataset_without_baseline_has_no_target(self):
        self.assertTrue(math.isnan(self.row("zip", "B")["target"]))

    def test_markdown(self):
        md = efficiency.to_markdown(self.result, "zip")
        self.assertIn("| method | A: 50.00% (bptvlm) | B (no baseline) | mean where reached (ratio to the reference "
                      "there) |", md)
        self.assertIn("| zip | 400 (1.00x) | – | 400 (1 of 2) |", md)
        self.assertIn("| bptvlm | 800 (2.00x) | – | 800 (1 of 2; 2.00x over 1) |", md)
        self.assertIn("| spsa-gc | not reached in 1000 | – | – (0 of 2) |", md)

    def test_pairwise_targets_are_each_baselines_own_final(self):
        pairwise = efficiency.pairwise_efficiency(self.store, Smoothing(points=100, window_fraction=0.01))
        self.assertEqual(list(pairwise["dataset"]), ["A", "A"])  # B has no baseline
        by = {r["baseline"]: r for _, r in pairwise.iterrows()}
        self.assertAlmostEqual(by["bptvlm"]["target"], 50.0)
        self.assertEqual(by["bptvlm"]["reference_queries"], 400)
        self.assertEqual(by["bptvlm"]["baseline_queries"], 800)
        # SPSA-GC's flat 45% is reached by its own curve at the first grid point and by ZIP's at 400,
        # which the best-baseline table (target 50%) cannot show.
        self.assertAlmostEqual(by["spsa-gc"]["target"], 45.0)
        self.assertEqual(by["spsa-gc"]["reference_queries"], 400)
        self.assertEqual(by["spsa-gc"]["baseline_queries"], 10)
        md = efficiency.pairwise_markdown(pairwise, "zip")
        self.assertIn("| baseline | A |", md)
        self.assertIn("| bptvlm | 50.00%: zip 400 (0.50x), it 800 |", md)

    def test_pairwise_marks_a_target_the_reference_never_reaches(self):
        with tempfile.TemporaryDirectory() as root:
            s = SyntheticStore(root, "pairwise")
            s.trial("zip", "A", 1, test_acc=0.5, curve=lambda q: 0.3)
            s.trial("bar", "A", 1, test_acc=0.7, curve=lambda q: 0.6 if q >= 500 else 0.2)
            store = load_store(root)
            pairwise = efficiency.pairwise_efficiency(store, Smoothing(points=100, window_fraction=0.01))
        self.assertTrue(math.isnan(pairwise.iloc[0]["reference_queries"]))
        self.assertIn("| bar | 60.00%: zip not in 1000, it 500 |", efficiency.pairwise_markdown(pairwise, "zip"))

    def test_test_accuracy_points_are_averaged_over_seeds(self):
        zip_a = self.store.trials[(self.store.trials["method"] == "zip") & (self.store.trials["dataset"] == "A")]
        points = test_curve(self.store.metrics[self.store.metrics["id"].isin(zip_a["id"])])
        self.assertEqual(list(points["queries"]), [500, 1000])
        self.assertAlmostEqual(points["mean"][0], 71.0)
        self.assertAlmostEqual(points["mean"][1], 82.0)
        self.assertEqual(list(points["n"]), [2, 2])


def protocol_store(root):
    """Base-to-new on A (zip 2 seeds, coop 1), cross-dataset A -> B, C and OOD ImageNet -> V2, Sketch."""
    s = SyntheticStore(root, "protocols")
    for seed, base, new in ((1, 0.80, 0.60), (2, 0.84, 0.64)):
        t = s.trial("zip", "A", seed, test_acc=base)
        s.evaluation(t, "A", base, "base", classes="base")
        s.evaluation(t, "A", new, "new", classes="base")
    t = s.trial("coop", "A", 1, test_acc=0.90, budget=0)
    s.evaluation(t, "A", 0.90, "base", classes="base")
    s.evaluation(t, "A", 0.30, "new", classes="base")
    s.evaluation(t, "A", 0.99, "new", classes="base", stale=True)  # of an earlier result: left out
    t = s.trial("zip", "C", 1, test_acc=0.5)
    s.evaluation(t, "A", 0.40)
    s.evaluation(t, "B", 0.20)
    t = s.trial("zip", "C", 2, test_acc=0.7)
    s.evaluation(t, "A", 0.60)
    s.evaluation(t, "B", 0.30)
    t = s.trial("zip", "coop:ImageNet", 1, test_acc=0.7)
    s.evaluation(t, "coop:ImageNetV2", 0.60)
    s.evaluation(t, "coop:ImageNetSketch", 0.40)
    s.evaluation(t, "A", 0.10)
    return s


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        protocol_store(self.tmp.name)
        self.evaluations = protocols.load_evaluations(load_store(self.tmp.name))

    def tearDown(self):
        self.tmp.cleanup()

    def test_only_evaluations_of_the_current_result_count(self):
        self.assertEqual(len(self.evaluations), 13)
        coop_new = self.evaluations[(self.evaluations["method"] == "coop") & (self.evaluations["target_classes"] == "new")]
        self.assertEqual(list(coop_new["test_acc"]), [30.0])

    def test_base_new_and_harmonic_mean(self):
        table = protocols.base_to_new(self.evaluations)
        zip_a = table[(table["method"] == "zip") & (table["dataset"] == "A")].iloc[0]
        self.assertAlmostEqual(zip_a["base"], 82.0)
        self.assertAlmostEqual(zip_a["new"], 62.0)
        self.assertAlmostEqual(zip_a["hm"], 2 * 82.0 * 62.0 / (82.0 + 62.0))
        self.assertEqual((zip_a["n_base"], zip_a["n_new"]), (2, 2))
        text = protocols.base_to_new_markdown(table)
        self.assertIn("| zip | A | 82.00 (n=2) | 62.00 (n=2) | 70.61 |", text)
        self.assertIn("| coop | A | 90.00 (n=1) | 30.00 (n=1) | 45.00 |", text)

    def test_cross_dataset_has_source_targets_and_average(self):
        table = protocols.transfer(self.evaluations, ood=False)
        text = protocols.transfer_markdown(table)
        self.assertIn("| method | source | source acc | A | B | average |", text)
        self.assertIn("| zip | C | 60.00 (n=2) | 50.00 (n=2) | 25.00 (n=2) | 37.50 |", text)
        self.assertIn("| zip | coop:ImageNet | 70.00 (n=1) | 10.00 (n=1) | – | 10.00 |", text)

    def test_datasets_that_are_sources_and_targets_keep_their_columns(self):
        with tempfile.TemporaryDirectory() as root:
            s = SyntheticStore(root, "both-ways")
            s.evaluation(s.trial("zip", "fmnist", 1, test_acc=0.8), "mnist", 0.3)
            s.evaluation(s.trial("zip", "mnist", 1, test_acc=0.9), "fmnist", 0.2)
            text = protocols.transfer_markdown(protocols.transfer(protocols.load_evaluations(load_store(root)), False))
            self.assertIn("| method | source | source acc | mnist | fmnist | average |", text)
            self.assertIn("| zip | fmnist | 80.00 (n=1) | 30.00 (n=1) | – | 30.00 |", text)
            self.assertIn("| zip | mnist | 90.00 (n=1) | – | 20.00 (n=1) | 20.00 |", text)

    def test_ood_takes_the_imagenet_variants(self):
        text = protocols.transfer_markdown(protocols.transfer(self.evaluations, ood=True))
        self.assertIn("| method | source | source acc | coop:ImageNetV2 | coop:ImageNetSketch | average |", text)
        self.assertIn("| zip | coop:ImageNet | 70.00 (n=1) | 60.00 (n=1) | 40.00 (n=1) | 50.00 |", text)

    def test_report_has_the_protocol_sections(self):
        text = read(write_report(self.tmp.name, now="fixed"))
        for heading in ("## Base-to-new", "## Cross-dataset", "## Out of distribution"):
            self.assertIn(heading, text)
        for name in ("evaluations.csv", "base_to_new.md", "cross_dataset.md", "ood.md"):
            self.assertTrue(os.path.exists(os.path.join(self.tmp.name, "report", name)), name)

    def test_a_store_without_evaluations_has_no_protocol_sections(self):
        with tempfile.TemporaryDirectory() as root:
            table_store(root)
            text = read(write_report(root, now="fixed"))
            self.assertNotIn("## Base-to-new", text)
            self.assertNotIn("## Cross-dataset", text)


class ReportTest(unittest.TestCase):
    def test_report_writes_the_tables_and_figures(self):
        with tempfile.TemporaryDirectory() as root:
            efficiency_store(root)
            path = write_report(root, smoothing=Smoothing(points=100, window_fraction=0.01), now="fixed")
            out = os.path.join(root, "report")
            self.assertEqual(path, os.path.join(out, "report.md"))
            for name in ("summary.md", "summary.tex", "summary.csv", "efficiency.md", "efficiency.csv",
                         "efficiency_pairwise.csv", "train_acc_vs_queries.png", "train_acc_vs_queries.pdf",
                         "train_loss_vs_queries.png",
                         "test_acc_subset_vs_queries.png", "test_acc_subset_vs_queries.pdf"):
                self.assertGreater(os.path.getsize(os.path.join(out, name)), 100, name)
            with open(os.path.join(out, "train_acc_vs_queries.png"), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            text = read(path)
            self.assertIn("# Sweep report: efficiency", text)
            self.assertIn("Trials: 11 planned: 10 done, 1 failed, 0 incomplete, 0 pending.", text)
            self.assertIn("![Training accuracy against queries](train_acc_vs_queries.png)", text)
            self.assertIn("| zip | 400 (1.00x) |", text)
            self.assertIn("| ", text.split("## Failed trials")[1])
            self.assertFalse([n for n in os.listdir(out) if ".tmp." in n])

    def test_a_store_with_nothing_done_gives_a_report_without_figures(self):
        with tempfile.TemporaryDirectory() as root:
            s = SyntheticStore(root, "empty")
            s.trial("zip", "A", 1, status="pending")
            s.trial("zip", "A", 2, status="failed", reason="no such dataset")
            text = read(write_report(root))
            self.assertIn("nothing to plot", text)
            self.assertIn("| zip | – (1 failed; 1 pending) | – |", text)
            self.assertIn("no such dataset", text)
            self.assertIn("1 trial(s) are left out above; `bbpt sweep resume DIR` continues them: zip 1 pending.", text)
            self.assertFalse(os.path.exists(os.path.join(root, "report", "train_acc_vs_queries.png")))

    def test_the_store_is_only_read(self):
        with tempfile.TemporaryDirectory() as root:
            table_store(root)
            before = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files)
            write_report(root, out_dir=os.path.join(root, "elsewhere"))
            after = sorted(os.path.join(d, f) for d, _, files in os.walk(root) for f in files
                           if not d.startswith(os.path.join(root, "elsewhere")))
            self.assertEqual(before, after)

    def test_not_a_store_is_a_clear_error(self):
        with tempfile.TemporaryDirectory() as root:
            with self.assertRaisesRegex(StoreError, "neither manifest.jsonl nor trials"):
                load_store(root)
            with open(os.path.join(root, "manifest.jsonl"), "w") as f:
                f.write('{"id": "x", "method": "zip", "dataset": "A", "seed": 1}\nnot json\n')
            with self.assertRaisesRegex(StoreError, "manifest.jsonl:2: not a JSON object"):
                load_store(root)


@unittest.skipUnless(os.environ.get("BBPT_BIN"), "BBPT_BIN (the bbpt binary) is not set")
class CommandTest(unittest.TestCase):
    def test_bbpt_report_writes_report_md(self):
        with tempfile.TemporaryDirectory() as root:
            efficiency_store(root)
            run = subprocess.run([os.environ["BBPT_BIN"], "report", root], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertIn("report.md", run.stdout)
            self.assertTrue(os.path.exists(os.path.join(root, "report", "report.md")))

    def test_bbpt_report_names_a_missing_store(self):
        run = subprocess.run([os.environ["BBPT_BIN"], "report", "/nonexistent/store"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 2)
        self.assertIn("/nonexistent/store: no such directory", run.stderr)


if __name__ == "__main__":
    unittest.main()
