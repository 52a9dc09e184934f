// SPDX-License-Identifier: MIT
// LocalSlurm: a throwaway single-node Slurm 22.05 cluster on localhost for tests (slurmctld +
// slurmd started by hand, no systemd, no munge), following shared/specs/hpc-and-storage.md section
// 3 and Appendix A. All state lives under one root directory; ports are picked free so that
// clusters of parallel test processes never meet. Not for production use: auth/none trusts every
// local user.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace bbpt::testing {

/// What a finished command printed and how it ended.
struct CommandResult {
  int exit_code = -1;  ///< the exit status, 128 + signal if killed, -1 if it could not be started
  bool timed_out = false;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

namespace local_slurm_detail {

using Clock = std::chrono::steady_clock;

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("LocalSlurm: cannot write " + path.string());
}

inline std::string last_lines(const std::string& text, int num_lines) {
  size_t start = text.size();
  if (start > 0 && text[start - 1] == '\n') --start;  // the final newline ends the last line
  for (int i = 0; i < num_lines; ++i) {
    const size_t newline = start == 0 ? std::string::npos : text.rfind('\n', start - 1);
    if (newline == std::string::npos) return text;
    start = newline;
  }
  return text.substr(start + 1);
}

/// The full path of NAME in $PATH, or "" when it is not there.
inline std::string find_in_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

/// This process's environment with every SLURM_* variable dropped and SLURM_CONF=conf added: a
/// test running inside a real Slurm job must not leak that job's SLURM_JOB_ID etc. into our
/// daemons.
inline std::vector<std::string> environment_for(const std::string& conf) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "SLURM_", 6) != 0) env.emplace_back(*e);
  }
  env.push_back("SLURM_CONF=" + conf);
  return env;
}

inline std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

/// Runs ARGV (looked up in $PATH, no shell) with ENV, stdin from /dev/null; captures stdout and
/// stderr. Kills it after TIMEOUT_S.
inline CommandResult run_command(std::vector<std::string> argv,
                                 std::vector<std::string> env,
                                 double timeout_s) {
  CommandResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  pid_t pid = -1;
  const int spawn_error =
      ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawn_error != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "cannot start " + argv[0] + ": " + std::strerror(spawn_error);
    return result;
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int num_open = 2;
  while (num_open > 0) {
    const auto left_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left_ms.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left_ms.count())) < 0 && errno != EINTR) {
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --num_open;
      }
    }
  }
  for (auto& fd : fds) {
    if (fd.fd >= 0) ::close(fd.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

/// N distinct TCP ports that were free on 127.0.0.1 a moment ago. All sockets stay bound until
/// every port is read, so the kernel cannot hand out the same port twice.
inline std::vector<int> pick_free_ports(int n) {
  std::vector<int> sockets;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      const int error = errno;
      if (fd >= 0) ::close(fd);
      for (int s : sockets) ::close(s);
      throw std::system_error(error, std::generic_category(), "LocalSlurm: binding 127.0.0.1:0");
    }
    sockets.push_back(fd);
    ports.push_back(ntohs(address.sin_port));
  }
  for (int s : sockets) ::close(s);
  return ports;
}

struct ProcessInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  char state = '?';
  std::string comm;
};

/// /proc/PID/stat's pid, (comm), state and ppid; nullopt once the process is gone.
inline std::optional<ProcessInfo> process_info(pid_t pid) {
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const size_t open = stat.find('(');
  const size_t close = stat.rfind(')');  // comm may itself contain ')'
  if (open == std::string::npos || close == std::string::npos || close + 4 > stat.size()) {
    return std::nullopt;
  }
  ProcessInfo info;
  info.pid = pid;
  info.comm = stat.substr(open + 1, close - open - 1);
  info.state = stat[close + 2];
  info.ppid = static_cast<pid_t>(std::atol(stat.c_str() + close + 4));
  return info;
}

inline std::vector<ProcessInfo> all_processes() {
  std::vector<ProcessInfo> processes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_digit)) continue;
    if (auto info = process_info(static_cast<pid_t>(std::stol(name)))) processes.push_back(*info);
  }
  return processes;
}

/// NUL-separated /proc/PID/{cmdline,environ} entries.
inline std::vector<std::string> proc_strings(pid_t pid, const char* what) {
  const std::string raw = read_text("/proc/" + std::to_string(pid) + "/" + what);
  std::vector<std::string> strings;
  std::istringstream in(raw);
  for (std::string s; std::getline(in, s, '\0');) strings.push_back(s);
  return strings;
}

inline std::string proc_link(const std::filesystem::path& link) {
  std::error_code ec;
  return std::filesystem::read_symlink(link, ec).string();
}

/// Whether PID still runs: it exists and is not a zombie (an exited process that its parent, often
/// PID 1 here, has not reaped yet; kill(pid, 0) still succeeds on those).
inline bool is_running(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) return false;
  const auto info = process_info(pid);
  return info && info->state != 'Z' && info->state != 'X';
}

/// Waits up to TIMEOUT_S until none of PIDS runs; returns those still running.
inline std::vector<pid_t> wait_stopped(std::vector<pid_t> pids, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  while (true) {
    pids.erase(std::remove_if(pids.begin(), pids.end(), [](pid_t p) { return !is_running(p); }),
               pids.end());
    if (pids.empty() || Clock::now() >= deadline) return pids;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// Waits up to TIMEOUT_S until kill(pid, 0) fails for all PIDS, i.e. their zombies were reaped too.
inline void wait_reaped(const std::vector<pid_t>& pids, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  for (pid_t pid : pids) {
    while (pid > 0 && ::kill(pid, 0) == 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace local_slurm_detail

/// A single-node Slurm cluster ("localhost", partition "debug") that lives as long as this object.
/// Layout under root: etc/slurm.conf, state/{ctld,d}, log/ (daemon logs, jobcomp.txt), run/ (PID
/// files), tmp/ (TmpFS: PMIx's spmix_appdir_* land here), logs/ (free for job --output files).
/// Needs root (slurmd runs jobs as any user) and slurmctld, slurmd and the client commands in
/// $PATH. Each test process may run its own; they share nothing but the machine's CPUs.
class LocalSlurm {
 public:
  /// "" when a cluster can be started here; otherwise why not, for GTEST_SKIP.
  static std::string unavailable_reason() {
    if (::geteuid() != 0) {
      return "LocalSlurm needs root (slurmd must start jobs as their users); run the "
             "slurm-labelled "
             "tests as root, e.g. in the dev container";
    }
    for (const char* tool :
         {"slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "scancel", "sinfo"}) {
      if (local_slurm_detail::find_in_path(tool).empty()) {
        return std::string(tool) +
               " not found in PATH; install slurm-wlm (apt-get install slurm-wlm) "
               "and make sure /usr/sbin is in PATH";
      }
    }
    return "";
  }

  /// Writes the config under ROOT (created if missing, ideally fresh and short: slurmd's Unix
  /// sockets in ROOT/state/d must fit 107 bytes), starts both daemons and waits until the node is
  /// idle. Throws std::runtime_error with the daemon logs if the cluster does not come up in 30 s.
  explicit LocalSlurm(const std::string& root)
      : root_(std::filesystem::absolute(root).lexically_normal().string()) {
    if (root_.size() > 1 && root_.back() == '/') root_.pop_back();
    conf_ = root_ + "/etc/slurm.conf";
    const std::string longest_socket = root_ + "/state/d/localhost_4294967294.4294967294";
    if (longest_socket.size() > 107) {
      throw std::runtime_error("LocalSlurm: root " + root_ +
                               " is too long for slurmd's Unix sockets (" + longest_socket +
                               " > 107 bytes); pick a shorter root, e.g. under /tmp");
    }
    for (const char* dir : {"etc", "state/ctld", "state/d", "log", "run", "tmp", "logs"}) {
      std::filesystem::create_directories(root_ + "/" + dir);
    }
    start_with_retries();
  }

  ~LocalSlurm() {
    try {
      stop();
      std::error_code ec;
      std::filesystem::remove_all(root_, ec);
      restore_env();
    } catch (...) {
      // A destructor must not throw; a leftover temp dir is the worst outcome here.
    }
  }

  LocalSlurm(const LocalSlurm&) = delete;
  LocalSlurm& operator=(const LocalSlurm&) = delete;

  const std::string& root() const { return root_; }
  /// Path of slurm.conf; what SLURM_CONF must name for any Slurm command to reach this cluster.
  const std::string& conf() const { return conf_; }
  /// Unique per live cluster (derived from its port); jobs see it as $SLURM_CLUSTER_NAME.
  const std::string& cluster_name() const { return cluster_name_; }
  /// Daemon PIDs read from their PID files once the node was idle.
  pid_t slurmctld_pid() const { return slurmctld_pid_; }
  pid_t slurmd_pid() const { return slurmd_pid_; }

  /// Seconds from picking the ports to the node reporting idle.
  double up_time_s() const { return up_time_s_; }

  /// Sets SLURM_CONF in this process, so that children started later (sbatch, squeue, bbpt) use
  /// this cluster. The destructor puts back the previous value.
  void export_env() const {
    if (!env_exported_) {
      const char* previous = std::getenv("SLURM_CONF");
      previous_slurm_conf_ = previous ? std::optional<std::string>(previous) : std::nullopt;
      env_exported_ = true;
    }
    ::setenv("SLURM_CONF", conf_.c_str(), 1);
  }

  /// Runs a Slurm client command against this cluster (e.g. {"sbatch", "--parsable", script})
  /// without a shell and without touching this process's environment. Killed after TIMEOUT_S.
  CommandResult run(const std::vector<std::string>& argv, double timeout_s = 30) const {
    return local_slurm_detail::run_command(argv, local_slurm_detail::environment_for(conf_),
                                           timeout_s);
  }

  /// The last NUM_LINES of each daemon log (and of their start-up stderr), for failure messages.
  std::string log_tail(int num_lines = 20) const {
    std::string text;
    for (const char* name : {"slurmctld.log", "slurmd.log", "slurmctld.stderr", "slurmd.stderr"}) {
      const std::string path = root_ + "/log/" + name;
      const std::string tail =
          local_slurm_detail::last_lines(local_slurm_detail::read_text(path), num_lines);
      if (tail.empty()) continue;
      text += "--- " + path + " (last " + std::to_string(num_lines) + " lines)\n" + tail;
      if (tail.back() != '\n') text += "\n";
    }
    return text;
  }

  /// Whether PID exists and is not a zombie.
  static bool is_running(pid_t pid) { return local_slurm_detail::is_running(pid); }

 private:
  using Clock = local_slurm_detail::Clock;

  // Free ports are picked and then released before slurmctld binds them, so another process can
  // take one in between (rarely). slurmctld then dies with "Address already in use": start afresh.
  void start_with_retries() {
    constexpr int kMaxAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      try {
        start();
        return;
      } catch (const std::exception& error) {
        const std::string logs = log_tail(40);
        // Nothing to save in a cluster that never came up, and a slurmd that cannot register
        // ignores SIGTERM for about 30 s: kill quickly.
        stop(1.0);
        const bool port_taken =
            (logs + error.what()).find("Address already in use") != std::string::npos;
        if (!port_taken || attempt == kMaxAttempts) {
          throw std::runtime_error(std::string(error.what()) + " (attempt " +
                                   std::to_string(attempt) + "; logs kept in " + root_ + "/log)\n" +
                                   logs);
        }
        for (const char* dir : {"state/ctld", "state/d", "log", "run"}) {
          std::error_code ec;
          std::filesystem::remove_all(root_ + "/" + dir, ec);
          std::filesystem::create_directories(root_ + "/" + dir);
        }
      }
    }
  }

  void start() {
    const auto t0 = Clock::now();
    const auto ports = local_slurm_detail::pick_free_ports(2);
    cluster_name_ = "ls" + std::to_string(ports[0]);
    write_conf(ports[0], ports[1]);
    launch_daemon({"slurmctld", "-f", conf_}, "slurmctld");
    launch_daemon({"slurmd", "-f", conf_, "-N", "localhost"}, "slurmd");
    wait_until_idle(30.0);
    slurmctld_pid_ = read_pid("slurmctld");
    slurmd_pid_ = read_pid("slurmd");
    if (slurmctld_pid_ <= 0 || slurmd_pid_ <= 0) {
      throw std::runtime_error("LocalSlurm: node is idle but a PID file in " + root_ +
                               "/run is empty");
    }
    up_time_s_ = std::chrono::duration<double>(Clock::now() - t0).count();
  }

  void write_conf(int slurmctld_port, int slurmd_port) const {
    const unsigned num_cpus = std::max(1u, std::thread::hardware_concurrency());
    // slurmd drains a node that claims more memory than it has; 4000 MB fits every CI runner we
    // use.
    const long physical_mb = ::sysconf(_SC_PHYS_PAGES) / 1024 * ::sysconf(_SC_PAGESIZE) / 1024;
    const long real_memory_mb = std::min(4000L, std::max(1L, physical_mb - 256));
    const std::string& r = root_;
    std::ostringstream c;
    // Recipe: shared/specs/hpc-and-storage.md 3.3 (verified on Debian 12, Slurm 22.05.8).
    c << "ClusterName=" << cluster_name_ << "\n"
      << "SlurmctldHost=localhost\n"
      << "SlurmctldPort=" << slurmctld_port << "\n"
      << "SlurmdPort=" << slurmd_port << "\n"
      << "SlurmUser=root\nSlurmdUser=root\n"
      << "AuthType=auth/none\nCredType=cred/none\n"  // no munged to start and stop
      // A requeued job is held for cred_expire before it may start again (default 120 s).
      << "AuthInfo=cred_expire=10\n"
      << "MpiDefault=pmix\n"  // Debian's Open MPI speaks PMIx only
      << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
      << "JobAcctGatherType=jobacct_gather/none\n"
      << "AccountingStorageType=accounting_storage/none\n"
      << "JobCompType=jobcomp/filetxt\nJobCompLoc=" << r << "/log/jobcomp.txt\n"
      << "SchedulerType=sched/backfill\n"
      // Start array waves at once instead of batching for 3 s (spec 3.7 #4). A requeued job becomes
      // eligible cred_expire after the requeue, but no event schedules it then and backfill skips
      // it: only the periodic main loop (sched_interval, default 60 s) starts it, after 10-70 s.
      // With sched_interval=1 it restarts 11 s after the requeue, every time.
      << "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1\n"
      << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
      << "ReturnToService=2\n"
      << "MailProg=/bin/true\n"
      << "MaxArraySize=10001\n"
      // SIGTERM -> SIGKILL grace on time limit, scancel and requeue (default 30 s).
      << "KillWait=5\n"
      // Finished jobs stay in slurmctld's memory (scontrol show job, squeue -t all) for 10 min;
      // there is no sacct without slurmdbd.
      << "MinJobAge=600\n"
      // Job ids unique across parallel clusters (the port is unique while both live), so job-keyed
      // names (spmix_appdir_0_<job>.<step>, logs %j/%A) never collide. MaxJobId is 67043328.
      << "FirstJobId=" << slurmctld_port * 1000
      << "\n"
      // PMIx puts spmix_appdir_* under TmpFS: keep them inside root instead of /tmp.
      << "TmpFS=" << r << "/tmp\n"
      << "SlurmctldPidFile=" << r << "/run/slurmctld.pid\n"
      << "SlurmdPidFile=" << r << "/run/slurmd.pid\n"
      << "StateSaveLocation=" << r << "/state/ctld\n"
      << "SlurmdSpoolDir=" << r << "/state/d\n"
      << "SlurmctldLogFile=" << r << "/log/slurmctld.log\n"
      << "SlurmdLogFile=" << r << "/log/slurmd.log\n"
      << "NodeName=localhost NodeAddr=127.0.0.1 CPUs=" << num_cpus
      << " RealMemory=" << real_memory_mb << " State=UNKNOWN\n"
      << "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n";
    local_slurm_detail::write_text(conf_, c.str());
  }

  // Both daemons fork into the background and the started process exits; its stderr (config errors
  // come before the log file opens) goes to log/NAME.stderr. Files, not pipes: a daemon holding our
  // pipe open would never let a read finish.
  void launch_daemon(std::vector<std::string> argv, const std::string& name) const {
    const std::string stderr_path = root_ + "/log/" + name + ".stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    auto env = local_slurm_detail::environment_for(conf_);
    auto args = local_slurm_detail::c_strings(argv);
    auto envp = local_slurm_detail::c_strings(env);
    pid_t pid = -1;
    const int error = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) {
      throw std::runtime_error("LocalSlurm: cannot start " + name + ": " + std::strerror(error));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      throw std::runtime_error("LocalSlurm: " + name + " -f " + conf_ +
                               " failed before daemonizing");
    }
  }

  void wait_until_idle(double timeout_s) const {
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    std::string last;
    while (Clock::now() < deadline) {
      // A daemon that died (e.g. its port was taken) will not come back: fail now, not in 30 s.
      int num_running = 0;
      for (const char* name : {"slurmctld", "slurmd"}) {
        const pid_t pid = read_pid(name);
        if (pid > 0 && !is_running(pid)) {
          throw std::runtime_error("LocalSlurm: " + std::string(name) + " (pid " +
                                   std::to_string(pid) + ") exited during start-up");
        }
        num_running += pid > 0 ? 1 : 0;
      }
      const auto sinfo = run({"sinfo", "-h", "-o", "%T"}, 10);
      last = sinfo.out + sinfo.err;
      if (num_running == 2 && sinfo.exit_code == 0 && sinfo.out == "idle\n") {
        require_own_controller();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("LocalSlurm: node not idle after " + std::to_string(timeout_s) +
                             " s; last `sinfo -h -o %T`: " + last);
  }

  // If another cluster's slurmctld took our port first, ours dies but sinfo gets answers from
  // theirs (auth/none accepts anyone). The cluster name tells them apart.
  void require_own_controller() const {
    const auto config = run({"scontrol", "show", "config"}, 10);
    std::istringstream lines(config.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("ClusterName ", 0) != 0) continue;
      if (line.size() >= cluster_name_.size() &&
          line.compare(line.size() - cluster_name_.size(), cluster_name_.size(), cluster_name_) ==
              0) {
        return;
      }
      throw std::runtime_error(
          "LocalSlurm: the controller answering on our port is another cluster's (" + line +
          "); Address already in use");
    }
    throw std::runtime_error("LocalSlurm: `scontrol show config` printed no ClusterName: " +
                             config.err);
  }

  pid_t read_pid(const std::string& name) const {
    return static_cast<pid_t>(
        std::atol(local_slurm_detail::read_text(root_ + "/run/" + name + ".pid").c_str()));
  }

  // Whether PID is a daemon of this cluster (guards against a PID reused by an unrelated process).
  bool is_our_daemon(pid_t pid) const {
    for (const auto& arg : local_slurm_detail::proc_strings(pid, "cmdline")) {
      if (arg == conf_) return true;
    }
    return false;
  }

  // slurmd first so it cannot report the node lost to a controller that is going away, then
  // slurmctld; SIGTERM, GRACE_S, SIGKILL. Then whatever the cluster left behind (see
  // kill_leftovers).
  void stop(double grace_s = 10.0) {
    std::vector<pid_t> stopped;
    for (const char* name : {"slurmd", "slurmctld"}) {
      const pid_t pid = read_pid(name);
      if (pid <= 0 || !is_our_daemon(pid)) continue;
      ::kill(pid, SIGTERM);
      if (!local_slurm_detail::wait_stopped({pid}, grace_s).empty()) ::kill(pid, SIGKILL);
      stopped.push_back(pid);
    }
    const auto leftovers = kill_leftovers();
    stopped.insert(stopped.end(), leftovers.begin(), leftovers.end());
    local_slurm_detail::wait_stopped(stopped, 5.0);
    // Zombies are reaped by their parent, here PID 1 (about every 2 s in our container); wait a
    // little so that kill(pid, 0) fails afterwards where the reaper is prompt.
    local_slurm_detail::wait_reaped(stopped, 5.0);
  }

  // Stopping slurmd does not end running jobs (by design, so slurmd can be restarted): their
  // slurmstepd and job processes live on and would retry their dead daemons for minutes. They are
  // found by: slurmstepd whose cwd or an open file is under root (it rewrites its argv and environ,
  // so those are useless), anything whose argv names a path under root (daemons, the batch script
  // in state/d), anything whose environment names this cluster's SLURM_CONF or SLURM_CLUSTER_NAME
  // (job processes, even double-forked ones), and all their descendants. This process and its
  // ancestors are never touched. Returns the PIDs sent SIGKILL.
  std::vector<pid_t> kill_leftovers() const {
    namespace fs = std::filesystem;
    const std::string prefix = root_ + "/";
    const auto under_root = [&](const std::string& path) { return path.rfind(prefix, 0) == 0; };
    const auto mentions_root = [&](const std::string& s) {
      return s.find(prefix) != std::string::npos;
    };
    const auto processes = local_slurm_detail::all_processes();

    std::set<pid_t> protected_pids;
    for (pid_t p = ::getpid(); p > 1 && protected_pids.insert(p).second;) {
      const auto info = local_slurm_detail::process_info(p);
      p = info ? info->ppid : 0;
    }
    std::set<pid_t> ours;
    for (const auto& p : processes) {
      if (p.state == 'Z' || protected_pids.count(p.pid)) continue;
      const std::string proc = "/proc/" + std::to_string(p.pid);
      bool match = false;
      for (const auto& arg : local_slurm_detail::proc_strings(p.pid, "cmdline")) {
        match |= mentions_root(arg);
      }
      for (const auto& var : local_slurm_detail::proc_strings(p.pid, "environ")) {
        match |= var == "SLURM_CONF=" + conf_ || var == "SLURM_CLUSTER_NAME=" + cluster_name_;
      }
      if (!match && p.comm == "slurmstepd") {
        match = under_root(local_slurm_detail::proc_link(proc + "/cwd"));
        std::error_code ec;
        for (const auto& fd : fs::directory_iterator(proc + "/fd", ec)) {
          match |= under_root(local_slurm_detail::proc_link(fd.path()));
        }
      }
      if (match) ours.insert(p.pid);
    }
    for (size_t size = 0; size != ours.size();) {  // add descendants until nothing new appears
      size = ours.size();
      for (const auto& p : processes) {
        if (ours.count(p.ppid) && p.state != 'Z' && !protected_pids.count(p.pid)) {
          ours.insert(p.pid);
        }
      }
    }
    for (pid_t pid : ours) ::kill(pid, SIGKILL);
    return {ours.begin(), ours.end()};
  }

  void restore_env() {
    if (!env_exported_) return;
    const char* current = std::getenv("SLURM_CONF");
    if (current == nullptr || current != conf_) return;  // someone set it since; leave theirs alone
    if (previous_slurm_conf_) {
      ::setenv("SLURM_CONF", previous_slurm_conf_->c_str(), 1);
    } else {
      ::unsetenv("SLURM_CONF");
    }
  }

  std::string root_;
  std::string conf_;
  std::string cluster_name_;
  pid_t slurmctld_pid_ = 0;
  pid_t slurmd_pid_ = 0;
  double up_time_s_ = 0;
  // export_env() is logically const (the cluster does not change); it only remembers what to
  // restore.
  mutable bool env_exported_ = false;
  mutable std::optional<std::string> previous_slurm_conf_;
};

}  // namespace bbpt::testing
