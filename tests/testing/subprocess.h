// Subprocess: runs a program (the timestore binary, a fixture script) for a test, with extra
// environment variables, capturing stdout and stderr together in a temporary file. A test-side
// view of harness::ChildProcess: killed (SIGKILL) on destruction if still running. One thread at a
// time.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "harness/child_process.h"

namespace timestore::testing {

class Subprocess {
 public:
  // Starts `argv[0]` (a path) with `argv`, the current environment plus `env` (overriding; a value
  // of "<unset>" removes the variable). A failed start fails the calling test.
  explicit Subprocess(std::vector<std::string> argv,
                      const std::map<std::string, std::string>& env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Waits up to `timeout`; the exit code (128 + signal when killed by one), or nothing on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout) { return child_.WaitFor(timeout); }
  void Signal(int signal) { child_.Signal(signal); }
  // Everything written so far to stdout and stderr.
  std::string Output() const;
  pid_t pid() const { return child_.pid(); }

 private:
  std::string output_path_;
  harness::ChildProcess child_;
};

// Runs to completion (bounded by `timeout`) and returns {exit code or -1 on timeout, output}.
std::pair<int, std::string> RunCommand(
    std::vector<std::string> argv, std::map<std::string, std::string> env = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace timestore::testing
