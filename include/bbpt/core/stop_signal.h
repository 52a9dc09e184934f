// SPDX-License-Identifier: MIT
// A process-wide "stop soon" request, set by a signal (Slurm's preemption warning USR2, SIGTERM,
// Ctrl-C) and read by long loops at safe points: run_trial checkpoints at the end of the current
// step and returns, sweep executors stop handing out trials. A second SIGINT or SIGTERM ends the
// process at once (the default action), so a stuck process can still be stopped.
#pragma once

namespace bbpt::core {

/// Installs the handler for SIGUSR2, SIGTERM and SIGINT.
void install_stop_handlers();
/// Whether a stop was requested, and by which signal (0: none).
bool stop_requested();
int stop_signal();
/// Whether SIGUSR2 (a scheduler's preemption warning) arrived at any time, even if a later signal
/// replaced stop_signal().
bool preemption_warning_received();
/// Requests a stop as if `signal` had arrived (tests, and executors forwarding a request).
void request_stop(int signal);

}  // namespace bbpt::core
