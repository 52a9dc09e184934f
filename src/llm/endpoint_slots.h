// SPDX-License-Identifier: MIT
// The process-wide limit on requests in flight per base URL: a counting semaphore per URL, shared
// by every ChatClient of the process that talks to that URL. Its capacity is the largest
// max_concurrency any of those clients asked for.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace bbpt::llm::detail {

class EndpointSlots {
 public:
  explicit EndpointSlots(int64_t capacity) : capacity_(capacity) {}
  /// Blocks until a slot is free, then takes it.
  void acquire();
  void release();
  /// Raises the capacity to `capacity` if it is larger (never lowers it).
  void raise_capacity(int64_t capacity);

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  int64_t capacity_;
  int64_t in_use_ = 0;
};

/// Holds one slot for its lifetime.
class SlotGuard {
 public:
  explicit SlotGuard(EndpointSlots& slots) : slots_(slots) { slots_.acquire(); }
  ~SlotGuard() { slots_.release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  EndpointSlots& slots_;
};

/// The slots of `base_url` (created on first use), with capacity at least `capacity`.
std::shared_ptr<EndpointSlots> endpoint_slots(const std::string& base_url, int64_t capacity);

}  // namespace bbpt::llm::detail
