#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Reference outputs of Python's own `random` for dassl_few_shot_test: the primitives PythonRandom
# reproduces, and CoOp's few-shot draws (random.seed(S), optional shuffles, generate_fewshot_dataset
# on train with K shots, then on val with min(K, 4)) written from Dassl's description, not copied.
# Usage: dassl_reference.py primitives | splits SPLIT_FILE... | labels  (JSON on stdout)
import collections
import json
import random
import sys


def fewshot(labels, k):
    """Dassl's generate_fewshot_dataset(repeat=True) on positions 0..len(labels)-1."""
    by_label = collections.defaultdict(list)
    for i, y in enumerate(labels):
        by_label[y].append(i)
    out = []
    for _, items in by_label.items():
        if len(items) >= k:
            out.extend(random.sample(items, k))
        else:
            out.extend(random.choices(items, k=k))
    return out


def primitives():
    out = []
    for seed in [0, 1, 2, 3, 42, -7, 2**32 + 5, 2**64 - 1]:
        random.seed(seed)
        case = {"seed": seed}
        case["u32"] = [random.getrandbits(32) for _ in range(5)]
        case["bits"] = [random.getrandbits(k) for k in (0, 1, 7, 31, 33, 64)]
        case["random"] = [random.random().hex() for _ in range(3)]
        case["randbelow"] = [random._inst._randbelow(n) for n in (1, 2, 3, 5, 1000, 2**31 + 1, 2**40)]
        case["sample"] = [[n, k, random.sample(range(n), k)]
                          for n, k in ((10, 10), (21, 5), (22, 5), (26, 6), (27, 6), (60, 16),
                                       (100, 16), (1300, 16), (5, 0), (37, 4), (86, 8))]
        case["choices"] = random.choices(range(7), k=9)
        x = list(range(50))
        random.shuffle(x)
        case["shuffle"] = x
        case["after"] = random.getrandbits(32)
        out.append(case)
    return out


def splits(paths):
    out = {}
    for path in paths:
        with open(path) as f:
            split = json.load(f)
        train = [item[1] for item in split["train"]]
        val = [item[1] for item in split["val"]]
        cases = []
        for seed in (1, 2, 3):
            for k in (1, 2, 4, 8, 16):
                random.seed(seed)
                cases.append({"seed": seed, "shots": k, "train": fewshot(train, k),
                              "val": fewshot(val, min(k, 4))})
        out[path] = cases
    return out


def labels():
    """Classes out of order, some smaller than K (drawn with replacement), after shuffles."""
    train = [3, 3, 0, 1, 3, 0, 2, 2, 2, 2, 2, 1, 3, 0, 0, 0, 0, 0, 5] * 3
    val = [1, 0, 3, 2, 5, 1, 0, 2, 2, 3]
    shuffles = [7, 1, 0, 30, 12]
    cases = []
    for seed in (1, 5):
        for k in (1, 4, 8):
            random.seed(seed)
            for n in shuffles:
                random.shuffle(list(range(n)))
            cases.append({"seed": seed, "shots": k, "train": fewshot(train, k),
                          "val": fewshot(val, min(k, 4))})
    return {"train_labels": train, "val_labels": val, "shuffles": shuffles, "cases": cases}


if __name__ == "__main__":
    mode = sys.argv[1]
    result = primitives() if mode == "primitives" else splits(sys.argv[2:]) if mode == "splits" \
        else labels()
    json.dump(result, sys.stdout)
