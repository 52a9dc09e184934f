// SPDX-License-Identifier: MIT
#include "comm_error.h"

#include <unistd.h>

#include <climits>
#include <string>

#include "bbpt/core/error.h"
#include "mpi_check.h"

namespace bbpt::comm::detail {

std::string error_origin() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) {
    char host[MPI_MAX_PROCESSOR_NAME] = "?";
    int length = 0, rank = -1;
    MPI_Get_processor_name(host, &length);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return std::string(host) + ":" + std::to_string(rank);
  }
  char host[256] = "?";
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + ":?";
}

std::string call_name(const char* call_text) {
  std::string text(call_text);
  const std::size_t paren = text.find('(');
  if (paren != std::string::npos) text.resize(paren);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string short_file(const char* file) {
  std::string path(file);
  const std::size_t at = path.rfind("/comm/");
  if (at != std::string::npos) return path.substr(at + 1);
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void throw_comm_error(const char* call_text,
                      const char* file,
                      int line,
                      const std::string& detail) {
  BBPT_THROW(CommError, error_origin() << ": " << call_name(call_text) << " failed at "
                                       << short_file(file) << ":" << line << ": " << detail);
}

void throw_mpi_error(int code, const char* call_text, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = "";
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
    throw_comm_error(call_text, file, line, "MPI error code " + std::to_string(code));
  }
  throw_comm_error(call_text, file, line, std::string(text, static_cast<std::size_t>(length)));
}

int checked_int(std::size_t count, const char* what) {
  if (count > static_cast<std::size_t>(INT_MAX)) {
    BBPT_THROW(CommError, error_origin()
                              << ": " << what << " of " << count
                              << " elements exceeds MPI's int count limit (" << INT_MAX << ")");
  }
  return static_cast<int>(count);
}

}  // namespace bbpt::comm::detail
