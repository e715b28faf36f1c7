// ChildProcess: owner of one spawned child process (fork + execve), for tests and benchmarks. Its
// destructor kills (SIGKILL) and reaps a child that is still running, so no test or benchmark path
// leaves one behind. Move-only; one thread at a time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "common/status.h"

namespace timestore::harness {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path (no PATH search)
  std::vector<std::string> env;   // the child's whole environment, "NAME=VALUE" entries
  // stdout and stderr are appended to this file; empty: inherited from this process.
  std::string output_path;
  // The child gets SIGKILL when the thread that spawned it exits (PR_SET_PDEATHSIG), so a
  // test or benchmark killed with SIGKILL leaves no server behind.
  bool die_with_parent = false;
};

class ChildProcess {
 public:
  // Starts the child. An exec failure (missing program, not executable) is reported here as
  // kInvalidArgument, not as a child exit status.
  static common::Result<ChildProcess> Spawn(const SpawnOptions& options);

  ChildProcess() = default;  // no process
  ChildProcess(ChildProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)), exit_code_(other.exit_code_) {}
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }  // -1 once reaped
  // Whether the child still runs; reaps it when it has exited (then `*exit_code` is set).
  bool Running(int* exit_code = nullptr);
  // Waits for the child to exit; returns its exit code, or 128 + signal number.
  int Wait();
  // Waits at most `timeout`: what Wait returns, or nothing while the child still runs.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout);
  // Sends `signal` to a child that has not been reaped; nothing otherwise.
  void Signal(int signal);
  // SIGTERM, then SIGKILL after `grace`; returns what Wait returns. 0 for an already reaped child.
  int Terminate(std::chrono::milliseconds grace);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
  int exit_code_ = 0;  // once reaped
};

// This process's environment without the variables whose names start with one of `drop_prefixes`,
// followed by `set` ("NAME=VALUE"). An entry of `set` replaces an earlier variable of the same name
// (inherited or set before it), so later entries win.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& drop_prefixes,
                                          const std::vector<std::string>& set);

// Runs a command to completion; returns its exit code (see ChildProcess::Wait).
common::Result<int> RunCommand(const SpawnOptions& options);

}  // namespace timestore::harness
