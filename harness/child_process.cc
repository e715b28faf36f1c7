#include "harness/child_process.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/eventually.h"

extern char**
    environ;  // NOLINT(readability-redundant-declaration): POSIX, not declared by unistd.h

namespace timestore::harness {

namespace {

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

common::Result<ChildProcess> ChildProcess::Spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return common::InvalidArgument("spawn: empty argv");
  std::vector<char*> argv = CStrings(options.argv);
  std::vector<char*> envp = CStrings(options.env);
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed.
  int out_fd = -1;
  if (!options.output_path.empty()) {
    out_fd = ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      return common::Internal("open " + options.output_path + ": " + std::strerror(errno));
    }
  }
  int exec_pipe[2];  // the child writes errno here when exec fails; CLOEXEC closes it on success
  if (::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    if (out_fd >= 0) ::close(out_fd);
    return common::Internal(std::string("pipe2: ") + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(exec_pipe[0]);
    ::close(exec_pipe[1]);
    if (out_fd >= 0) ::close(out_fd);
    return common::Internal(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
    }
    if (out_fd >= 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    // Signals blocked by the parent (see CleanupRegistry) must not stay blocked in the child.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    const int err = errno;
    [[maybe_unused]] ssize_t w = ::write(exec_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(exec_pipe[1]);
  if (out_fd >= 0) ::close(out_fd);
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(exec_pipe[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return common::InvalidArgument("exec " + options.argv[0] + ": " + std::strerror(child_errno));
  }
  return ChildProcess(pid);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Terminate(std::chrono::milliseconds(0));
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = other.exit_code_;
  }
  return *this;
}

ChildProcess::~ChildProcess() { Terminate(std::chrono::milliseconds(0)); }

bool ChildProcess::Running(int* exit_code) {
  if (pid_ < 0) {
    if (exit_code != nullptr) *exit_code = exit_code_;
    return false;
  }
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  exit_code_ = r == pid_ ? ExitCodeOf(status) : 255;
  pid_ = -1;
  if (exit_code != nullptr) *exit_code = exit_code_;
  return false;
}

int ChildProcess::Wait() {
  if (pid_ < 0) return exit_code_;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  exit_code_ = r == pid_ ? ExitCodeOf(status) : 255;
  pid_ = -1;
  return exit_code_;
}

std::optional<int> ChildProcess::WaitFor(std::chrono::milliseconds timeout) {
  if (!Eventually([this] { return !Running(); }, timeout)) return std::nullopt;
  return exit_code_;
}

void ChildProcess::Signal(int signal) {
  if (pid_ > 0) ::kill(pid_, signal);
}

int ChildProcess::Terminate(std::chrono::milliseconds grace) {
  if (pid_ < 0) return exit_code_;
  if (grace.count() > 0) {
    ::kill(pid_, SIGTERM);
    if (std::optional<int> code = WaitFor(grace)) return *code;
  }
  ::kill(pid_, SIGKILL);
  return Wait();
}

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& drop_prefixes,
                                          const std::vector<std::string>& set) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view entry(*e);
    bool drop = false;
    for (const std::string& prefix : drop_prefixes) drop = drop || entry.starts_with(prefix);
    if (!drop) env.emplace_back(entry);
  }
  // A name set twice keeps its last value: getenv() would find the first entry.
  for (const std::string& entry : set) {
    const std::string_view name = std::string_view(entry).substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
    env.push_back(entry);
  }
  return env;
}

common::Result<int> RunCommand(const SpawnOptions& options) {
  TS_ASSIGN_OR_RETURN(ChildProcess child, ChildProcess::Spawn(options));
  return child.Wait();
}

}  // namespace timestore::harness
