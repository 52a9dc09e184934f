# SPDX-License-Identifier: MIT
"""scripts/check_layering.py on the source tree (clean) and on small synthetic trees that break each
rule once (each must fail, naming the file and line)."""
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

SOURCE = pathlib.Path(os.environ.get("BBPT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CHECK = SOURCE / "scripts" / "check_layering.py"


def check(root):
    return subprocess.run([sys.executable, str(CHECK), str(root)], capture_output=True, text=True)


class Layering(unittest.TestCase):
    def tree(self, links, files):
        """A tree with modules core < data < model < cli; links: module -> link line; files: path -> text."""
        root = pathlib.Path(tempfile.mkdtemp(prefix="bbpt_layering_"))
        (root / "CMakeLists.txt").write_text("set(BBPT_MODULES core data model cli)\n")
        for module in ("core", "data", "model", "cli"):
            (root / "src" / module).mkdir(parents=True)
            (root / "include" / "bbpt" / module).mkdir(parents=True)
            line = links.get(module, "")
            (root / "src" / module / "CMakeLists.txt").write_text(
                f"add_library(bbpt_{module} STATIC a.cc)\n# bbpt::cli in a comment does not count\n"
                f"target_link_libraries(bbpt_{module} PUBLIC {line})\n")
        for path, text in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        return root

    def test_the_source_tree_is_clean(self):
        result = check(SOURCE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_clean_tree_passes(self):
        root = self.tree({"data": "bbpt::core", "model": "bbpt::core bbpt::data bbpt::torch"},
                         {"src/model/a.cc": '#include "bbpt/data/x.h"\n#include <torch/torch.h>\n'})
        self.assertEqual(check(root).returncode, 0)

    def test_a_link_up_the_graph_fails(self):
        root = self.tree({"data": "bbpt::core bbpt::model"}, {})
        result = check(root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("src/data/CMakeLists.txt:3: data links bbpt::model, listed after it", result.stdout)

    def test_an_include_of_a_module_not_linked_fails(self):
        root = self.tree({"data": "bbpt::core"}, {"include/bbpt/data/d.h": '\n#include "bbpt/model/m.h"\n'})
        result = check(root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("include/bbpt/data/d.h:2: data includes bbpt/model/ but does not link bbpt::model",
                      result.stdout)

    def test_libtorch_mpi_and_cli11_outside_their_layers_fail(self):
        root = self.tree({"data": "bbpt::core"},
                         {"src/data/a.cc": "#include <ATen/ATen.h>\n#include <mpi.h>\n#include <CLI/CLI.hpp>\n"})
        result = check(root)
        self.assertEqual(result.returncode, 1)
        self.assertIn("src/data/a.cc:1: libtorch in data", result.stdout)
        self.assertIn("src/data/a.cc:2: MPI/NCCL/CUDA header outside comm", result.stdout)
        self.assertIn("src/data/a.cc:3: CLI11 outside the CLI", result.stdout)


if __name__ == "__main__":
    unittest.main()
