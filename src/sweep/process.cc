// SPDX-License-Identifier: MIT
#include "process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bbpt/core/error.h"

namespace bbpt::sweep::detail {
namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

/// In the child after fork: restores default signal dispositions (the parent's stop handlers must
/// not be inherited by a command that does not install its own) and execs.
[[noreturn]] void exec_child(const std::vector<std::string>& argv) {
  for (const int s : {SIGUSR2, SIGTERM, SIGINT}) ::signal(s, SIG_DFL);
  auto args = c_argv(argv);
  ::execvp(args[0], args.data());
  const std::string message = "bbpt: cannot start " + argv[0] + ": " + std::strerror(errno) + "\n";
  (void)!::write(2, message.data(), message.size());
  ::_exit(127);
}

}  // namespace

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  int pipe_fds[2];
  BBPT_CHECK(::pipe2(pipe_fds, O_CLOEXEC) == 0, IoError, "cannot create a pipe for " << argv.at(0));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    BBPT_THROW(IoError, "cannot fork to run " << argv.at(0));
  }
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    exec_child(argv);
  }
  ::close(pipe_fds[1]);
  CommandResult result;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = exit_code_of(status);
  return result;
}

pid_t start_process(const std::vector<std::string>& argv, const std::string& log_path) {
  const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  BBPT_CHECK(fd >= 0, IoError, log_path << ": cannot open the log");
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    BBPT_THROW(IoError, "cannot fork to run " << argv.at(0));
  }
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    exec_child(argv);
  }
  ::close(fd);
  return pid;
}

std::string shell_quote(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain =
        !a.empty() && a.find_first_not_of(
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          "_-./=:,+%@") == std::string::npos;
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (const char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

}  // namespace bbpt::sweep::detail
