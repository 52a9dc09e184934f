// SPDX-License-Identifier: MIT
// Implements the abort path of BBPT_ASSERT.
#include "bbpt/core/error.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace bbpt::core {

void assert_fail(const char* expr, const char* file, int line, const std::string& msg) {
  char host[256] = "?";
  gethostname(host, sizeof(host) - 1);
  std::fprintf(stderr, "%s pid %d: internal error: assertion '%s' failed at %s:%d: %s\n", host,
               static_cast<int>(getpid()), expr, file, line, msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace bbpt::core
