// SPDX-License-Identifier: MIT
// Test helper: expect an exception of one bbpt::Error type whose one-line message names every
// given fragment (the file, the field, the value), so a malformed input is told apart by text.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace bbpt::tokenizer {

template <typename ErrorType, typename Fn>
void expect_error_naming(Fn&& fn, std::initializer_list<std::string> fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception naming " << *fragments.begin();
  } catch (const ErrorType& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    for (const std::string& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos)
          << "'" << fragment << "' missing from: " << message;
    }
  }
}

}  // namespace bbpt::tokenizer
