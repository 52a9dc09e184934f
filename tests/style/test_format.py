# SPDX-License-Identifier: MIT
"""scripts/check_format.sh on the source tree (every C++ file formatted) and on a small synthetic
tree with one badly formatted file (it must fail and name the file)."""
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest

SOURCE = pathlib.Path(os.environ.get("BBPT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
CHECK = SOURCE / "scripts" / "check_format.sh"


def check(root):
    return subprocess.run(["bash", str(CHECK), str(root)], capture_output=True, text=True)


class Format(unittest.TestCase):
    def test_every_cpp_file_of_the_source_tree_is_formatted(self):
        result = check(SOURCE)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_badly_formatted_file_fails_and_is_named(self):
        root = pathlib.Path(tempfile.mkdtemp(prefix="bbpt_format_"))
        shutil.copy(SOURCE / ".clang-format", root / ".clang-format")
        (root / "good.cc").write_text("int f(int x) { return x + 1; }\n")
        (root / "bad.cc").write_text("int   g( int x ){return x+1;}\n")
        result = check(root)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("bad.cc: not formatted", result.stdout)
        self.assertNotIn("good.cc", result.stdout)


if __name__ == "__main__":
    unittest.main()
