// ServerProcess: a `timestore serve` child started for a test or a benchmark, on a free port
// (TIMESTORE_PORT=0), with its log in a file; the one readiness wait for a served process. Owns the
// process: Stop() or the destructor ends it (SIGTERM, then SIGKILL), and so does the
// CleanupRegistry when the run is interrupted.
// Move-only; one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "common/status.h"
#include "harness/child_process.h"
#include "harness/cleanup_registry.h"

namespace timestore::harness {

struct ServerProcessOptions {
  std::string binary;        // path of the timestore executable
  std::string database_url;  // TIMESTORE_DATABASE_URL
  std::string pg_schema = "timestore";
  std::string storage_root;  // TIMESTORE_STORAGE_ROOT
  std::string log_level = "warn";
  std::string log_path;  // stdout and stderr of the server
  // More "NAME=VALUE" entries; they replace the defaults above (e.g. TIMESTORE_STORAGE_DRIVER=s3)
  // and earlier entries of the same name.
  std::vector<std::string> extra_env;
  std::chrono::seconds ready_timeout{60};  // for the port to appear and /ready to answer 200
};

class ServerProcess {
 public:
  // Starts the server (every inherited TIMESTORE_* and DATABASE_URL variable is dropped first),
  // finds its port - from the "timestore listening" log line, or, when the log level hides it, from
  // the listening socket the process owns (/proc) - and waits until GET /ready answers 200.
  // kUnavailable when the process exits or the timeout passes first; the message quotes the log.
  static common::Result<ServerProcess> Start(const ServerProcessOptions& options,
                                             CleanupRegistry* cleanup);

  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&&) = delete;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  uint16_t port() const { return port_; }
  pid_t pid() const { return child_.pid(); }
  const std::string& log_path() const { return log_path_; }
  // Everything the server has logged so far (stdout and stderr).
  std::string Log() const;
  // The process itself, for tests that signal it or wait for it to die.
  ChildProcess& process() { return child_; }

  // The server's peak resident set size (VmHWM of /proc/<pid>/status), in bytes.
  common::Result<uint64_t> PeakRssBytes() const;
  // Resets the peak to the current RSS (writes 5 to /proc/<pid>/clear_refs), so that a later
  // PeakRssBytes covers only what ran in between.
  common::Status ResetPeakRss() const;

  // SIGTERM (graceful stop), SIGKILL after `grace`; returns the exit code (0 for a clean stop).
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(15));

 private:
  ServerProcess() = default;
  // Finds the port and polls GET /ready until it answers 200. kUnavailable when the process exits
  // or `timeout` passes first; the message quotes the log.
  common::Status WaitUntilReady(std::chrono::seconds timeout);

  ChildProcess child_;
  uint16_t port_ = 0;
  std::string log_path_;
  CleanupRegistry* cleanup_ = nullptr;
  CleanupRegistry::Id cleanup_id_ = 0;
};

// Ends a run: stops `server` and folds its exit into the run's `exit_code` - a server that did not
// stop cleanly turns a successful run (0) into a failure (1) - and, when the run failed, prints the
// last lines of the server's log at `log_path`. Returns the run's exit code.
int StopServerAtEndOfRun(ServerProcess& server, const std::string& log_path, int exit_code);

}  // namespace timestore::harness
