#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Reference outputs of Python's own `random` for dassl_few_shot_test: the primitives PythonRandom
# reproduces, and CoOp's few-shot draws (random.seed(S), optional shuffles, generate_fewshot_dataset
# on train with K shots, then on val with min(K, 4)) written from Dassl's description, not copied.
# Usage: dassl_reference.py primitives | splits SPLIT_FILE... | labels | svhn DIR SEED K | listdir DIR
# (JSON on stdout)
import collections
import json
import os
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


def svhn_split(root):
    """ZIP's Svhn.read_and_split_data: per sorted class shuffle the train then the test listing,
    cut train 70/30 with round()."""
    train_dir, test_dir = os.path.join(root, "train"), os.path.join(root, "test")
    categories = sorted(f for f in os.listdir(train_dir) if not f.startswith("."))
    train, val = [], []
    for label, category in enumerate(categories):
        images = [f"train/{category}/{f}" for f in os.listdir(os.path.join(train_dir, category))
                  if not f.startswith(".")]
        random.shuffle(images)
        tests = [f for f in os.listdir(os.path.join(test_dir, category)) if not f.startswith(".")]
        random.shuffle(tests)
        n_train, n_val = round(len(images) * 0.7), round(len(images) * (1 - 0.7))
        train += [(p, label) for p in images[:n_train]]
        val += [(p, label) for p in images[n_train:n_train + n_val]]
    return train, val


def svhn(root, seed, k):
    """split_SVHN.json as seed 1's run writes it, then a run with `seed`: random.seed(seed),
    read_and_split_data's shuffles again (ZIP calls it for the test list), the few-shot draws."""
    random.seed(1)
    train, val = svhn_split(root)
    random.seed(seed)
    svhn_split(root)
    return {"train": [p for p, _ in train], "val": [p for p, _ in val],
            "few_train": fewshot([y for _, y in train], k),
            "few_val": fewshot([y for _, y in val], min(k, 4))}


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "svhn":
        result = svhn(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "listdir":
        result = [f for f in os.listdir(sys.argv[2]) if not f.startswith(".")]
    else:
        result = primitives() if mode == "primitives" else splits(sys.argv[2:]) \
            if mode == "splits" else labels()
    json.dump(result, sys.stdout)
