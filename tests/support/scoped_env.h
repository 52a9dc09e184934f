// SPDX-License-Identifier: MIT
// An environment variable set (or unset) for one scope and put back as it was at the scope's end.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace bbpt::testing {

/// Sets `name` to `value` (unsets it when `value` is nullptr); the destructor restores the value it
/// had before, or unsets it when it had none.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    if (value) {
      setenv(name, value, 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (previous_) {
      setenv(name_, previous_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

}  // namespace bbpt::testing
