#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks that the module graph the README describes is the one the code has.

The modules and their order come from BBPT_MODULES in the top-level CMakeLists.txt: a module may
depend only on modules listed before it. A module's dependencies are the bbpt:: targets its
src/<module>/CMakeLists.txt links (PUBLIC or PRIVATE). The check fails, naming the file and line, when
  - a module links a module listed after it (a dependency that points up the graph);
  - a source or public header of a module includes "bbpt/<other>/..." for a module it does not link;
  - a third-party header that belongs to one layer shows up elsewhere: MPI and NCCL only in comm,
    libtorch (torch/, ATen/, c10/) only in modules that link bbpt::torch, CLI11 only in the CLI.
Usage: check_layering.py [SOURCE_DIR]   (exit 0: clean, 1: violations, each on one line)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)

# Third-party headers confined to a layer: (pattern, who may include it, what it is).
TORCH = re.compile(r'#\s*include\s*[<"](torch|ATen|c10)/')
MPI = re.compile(r'#\s*include\s*[<"](mpi\.h|nccl\.h|cuda_runtime)')
CLI11 = re.compile(r'#\s*include\s*[<"]CLI/')
BBPT = re.compile(r'#\s*include\s*"bbpt/([a-z_]+)/')


def modules_in_order():
    text = (ROOT / "CMakeLists.txt").read_text()
    match = re.search(r"set\(BBPT_MODULES([^)]*)\)", text)
    if not match:
        sys.exit(f"{ROOT / 'CMakeLists.txt'}: no set(BBPT_MODULES ...): cannot tell the module order")
    return match.group(1).split()


def linked(module):
    """The bbpt:: modules and whether bbpt::torch are linked by src/<module>/CMakeLists.txt."""
    path = ROOT / "src" / module / "CMakeLists.txt"
    text = re.sub(r"#[^\n]*", "", path.read_text())
    deps, line_of = set(), {}
    for call in re.finditer(r"target_link_libraries\(([^)]*)\)", text):
        for name in re.findall(r"bbpt::([a-z_]+)", call.group(1)):
            deps.add(name)
            line_of.setdefault(name, text[: call.start()].count("\n") + 1)
    return deps, line_of, path


def sources(module):
    for base in (ROOT / "src" / module, ROOT / "include" / "bbpt" / module):
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*") if p.suffix in (".h", ".cc", ".hpp", ".cpp"))


def main():
    order = modules_in_order()
    rank = {m: i for i, m in enumerate(order)}
    problems = []
    for module in order:
        deps, line_of, cmake = linked(module)
        for dep in sorted(deps - {"torch"}):
            if dep not in rank:
                problems.append(f"{cmake}:{line_of[dep]}: links bbpt::{dep}, which is not in BBPT_MODULES")
            elif rank[dep] >= rank[module]:
                problems.append(f"{cmake}:{line_of[dep]}: {module} links bbpt::{dep}, listed after it in "
                                f"BBPT_MODULES: a dependency that points up the module graph")
        extra_dirs = [ROOT / "src" / "apps"] if module == "cli" else []
        files = list(sources(module)) + [p for d in extra_dirs for p in sorted(d.rglob("*.cc"))]
        for path in files:
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                where = f"{path.relative_to(ROOT)}:{number}"
                used = BBPT.search(line)
                if used and used.group(1) != module and used.group(1) not in deps:
                    problems.append(f"{where}: {module} includes bbpt/{used.group(1)}/ but does not link "
                                    f"bbpt::{used.group(1)} (add it to src/{module}/CMakeLists.txt if the "
                                    f"dependency is meant, and only downwards)")
                if TORCH.search(line) and "torch" not in deps:
                    problems.append(f"{where}: libtorch in {module}, which does not link bbpt::torch "
                                    f"(libtorch belongs to the model-side modules)")
                if MPI.search(line) and module != "comm":
                    problems.append(f"{where}: MPI/NCCL/CUDA header outside comm")
                if CLI11.search(line) and module != "cli":
                    problems.append(f"{where}: CLI11 outside the CLI")
    for p in problems:
        print(p)
    print(f"layering: {len(order)} modules, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
