// SPDX-License-Identifier: MIT
// What `bbpt sweep plan` and `bbpt sweep status` print: a plan's trials, and a store's trials by
// state per method and dataset (from the store and one squeue call, never sacct).
#pragma once

#include <ostream>

#include "bbpt/sweep/grid.h"
#include "bbpt/sweep/store.h"

namespace bbpt::sweep {

/// One line per trial (index, id, method, dataset, seed, overrides), then the counts per method and
/// per dataset.
void print_plan(const Sweep& sweep, std::ostream& out);

/// Done / running / queued / interrupted / failed / pending per method and dataset, and every
/// failure with its reason. A Slurm queue that cannot be read is said on `errors` and the table
/// is printed without it.
void print_status(const SweepStore& store, std::ostream& out, std::ostream& errors);

}  // namespace bbpt::sweep
