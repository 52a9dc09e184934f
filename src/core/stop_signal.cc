// SPDX-License-Identifier: MIT
// Implements the stop request: a lock-free atomic written by an async-signal-safe handler.
#include "bbpt/core/stop_signal.h"

#include <signal.h>

#include <atomic>
#include <initializer_list>

namespace bbpt::core {
namespace {

std::atomic<int> requested_by{0};
std::atomic<bool> warned{false};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free flag");

void on_signal(int signal) {
  requested_by.store(signal);
  if (signal == SIGUSR2) warned.store(true);
  // The next SIGINT/SIGTERM takes the default action; USR2 (a scheduler's warning, which may come
  // again) keeps only setting the flag.
  if (signal != SIGUSR2) ::signal(signal, SIG_DFL);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action = {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (const int s : {SIGUSR2, SIGTERM, SIGINT}) sigaction(s, &action, nullptr);
}

bool stop_requested() { return requested_by.load() != 0; }
int stop_signal() { return requested_by.load(); }
bool preemption_warning_received() { return warned.load(); }
void request_stop(int signal) {
  requested_by.store(signal);
  if (signal == SIGUSR2) warned.store(true);
}

}  // namespace bbpt::core
