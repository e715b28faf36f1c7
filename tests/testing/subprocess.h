// Subprocess: runs a program (the timestore binary, a fixture script) for a test, with extra
// environment variables, capturing stdout and stderr together. Killed on destruction if still
// running.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace timestore::testing {

class Subprocess {
 public:
  // Starts `argv[0]` (a path) with `argv`, the current environment plus `env` (overriding; a value
  // of
  // "<unset>" removes the variable).
  Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Waits up to `timeout`; the exit code (128 + signal when killed by one), or nothing on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  void Signal(int signal);
  // Everything written so far to stdout and stderr.
  std::string Output() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string output_path_;
  std::optional<int> exit_code_;
};

// Runs to completion (bounded by `timeout`) and returns {exit code or -1 on timeout, output}.
std::pair<int, std::string> RunCommand(
    std::vector<std::string> argv, std::map<std::string, std::string> env = {},
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace timestore::testing
