// SPDX-License-Identifier: MIT
// Implements the per-URL semaphores and their process-wide registry.
#include "endpoint_slots.h"

#include <map>

namespace bbpt::llm::detail {

void EndpointSlots::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  freed_.wait(lock, [this] { return in_use_ < capacity_; });
  ++in_use_;
}

void EndpointSlots::release() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    --in_use_;
  }
  freed_.notify_one();
}

void EndpointSlots::raise_capacity(int64_t capacity) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (capacity <= capacity_) return;
    capacity_ = capacity;
  }
  freed_.notify_all();
}

std::shared_ptr<EndpointSlots> endpoint_slots(const std::string& base_url, int64_t capacity) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::shared_ptr<EndpointSlots>> registry;
  std::lock_guard<std::mutex> lock(registry_mutex);
  std::shared_ptr<EndpointSlots>& slots = registry[base_url];
  if (!slots) {
    slots = std::make_shared<EndpointSlots>(capacity);
  } else {
    slots->raise_capacity(capacity);
  }
  return slots;
}

}  // namespace bbpt::llm::detail
