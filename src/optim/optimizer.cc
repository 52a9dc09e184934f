// SPDX-License-Identifier: MIT
// Validation shared by every optimizer's tell().
#include "bbpt/optim/optimizer.h"

#include <cmath>

#include "bbpt/core/error.h"

namespace bbpt::optim {

std::vector<double> Optimizer::step_message() {
  const Matrix settings = ask();  // [N, K]
  std::vector<double> message = {static_cast<double>(settings.rows()),
                                 static_cast<double>(settings.cols())};
  message.insert(message.end(), settings.data(), settings.data() + settings.size());
  return message;
}

Matrix Optimizer::columns_from_message(const std::vector<double>& message,
                                       int64_t first,
                                       int64_t count) const {
  BBPT_CHECK(message.size() >= 2, ConfigError,
             name() << ": step message of " << message.size() << " values is too short");
  const auto rows = static_cast<int64_t>(message[0]);
  const auto cols = static_cast<int64_t>(message[1]);
  BBPT_CHECK(rows == dimension() && static_cast<int64_t>(message.size()) == 2 + rows * cols,
             ConfigError,
             name() << ": step message holds " << message.size() << " values for a [" << rows
                    << ", " << cols << "] matrix; this replica has dimension " << dimension());
  check_column_range(first, count, cols, name());
  return Eigen::Map<const Matrix>(message.data() + 2, rows, cols).middleCols(first, count);
}

std::vector<double> step_and_point_message(int64_t k, const Vector& point) {
  std::vector<double> message = {static_cast<double>(k)};
  message.insert(message.end(), point.data(), point.data() + point.size());
  return message;
}

std::pair<int64_t, Eigen::Map<const Vector>> read_step_and_point(const std::vector<double>& message,
                                                                 int64_t n,
                                                                 const std::string& who) {
  BBPT_CHECK(
      static_cast<int64_t>(message.size()) == 1 + n, ConfigError,
      who << ": step message of " << message.size() << " values; expected 1 + N = " << 1 + n);
  return {static_cast<int64_t>(message[0]), Eigen::Map<const Vector>(message.data() + 1, n)};
}

void check_column_range(int64_t first, int64_t count, int64_t columns, const std::string& who) {
  BBPT_CHECK(first >= 0 && count >= 0 && first + count <= columns, ConfigError,
             who << ": columns [" << first << ", " << first + count << ") are outside the step's "
                 << columns << " columns");
}

void check_losses(const std::vector<double>& losses, int64_t expected, const std::string& who) {
  BBPT_CHECK(static_cast<int64_t>(losses.size()) == expected, ConfigError,
             who << ": tell() got " << losses.size() << " losses, expected " << expected
                 << " (one per column of ask(), in column order)");
  for (size_t i = 0; i < losses.size(); ++i) {
    BBPT_CHECK(std::isfinite(losses[i]), NumericalError,
               who << ": the loss of query " << i << " is " << losses[i]);
  }
}

}  // namespace bbpt::optim
