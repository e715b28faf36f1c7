// ThrowawayService: a temporary service (PostgreSQL, s3rver) started and stopped by one of the
// project's scripts (`<script> start|stop <state_file>`, see scripts/pg_tmp.sh and s3_tmp.sh),
// which writes the service's address as shell exports into the state file. Owns the service: Stop()
// or the destructor runs the stop script, and so does the CleanupRegistry when the run is
// interrupted. Move-only; one thread at a time.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "harness/cleanup_registry.h"

namespace timestore::harness {

// The path of `scripts/<name>` in this checkout (pg_tmp.sh, s3_tmp.sh).
std::string ProjectScript(std::string_view name);

class ThrowawayService {
 public:
  // Runs `<script> start <state_file>`; the script's output goes to `log_path`. `cleanup` may be
  // null. kUnavailable when the script fails.
  static common::Result<ThrowawayService> Start(const std::string& script,
                                                const std::string& state_file,
                                                const std::string& log_path,
                                                CleanupRegistry* cleanup);

  ThrowawayService(ThrowawayService&& other) noexcept;
  ThrowawayService& operator=(ThrowawayService&&) = delete;
  ThrowawayService(const ThrowawayService&) = delete;
  ThrowawayService& operator=(const ThrowawayService&) = delete;
  ~ThrowawayService();  // Stop(), error ignored

  // The value of `NAME='value'` in the state file the start script wrote; kInternal when absent.
  common::Result<std::string> Export(std::string_view name) const;

  // Runs `<script> stop <state_file>`. Idempotent; kInternal when the script fails.
  common::Status Stop();

  // Runs `<script> <verb> <state_file>` on the running service, e.g. "pause" (stop it, keeping its
  // data) and "resume" (start it again on the same port). kInternal when the script fails.
  common::Status Command(std::string_view verb);

 private:
  ThrowawayService() = default;
  common::Status RunScript(std::string_view verb);

  std::string script_;
  std::string state_file_;
  std::string log_path_;
  std::string state_;  // the state file's text after start
  CleanupRegistry* cleanup_ = nullptr;
  CleanupRegistry::Id cleanup_id_ = 0;  // 0: nothing registered
  bool running_ = false;
};

}  // namespace timestore::harness
