#include "harness/throwaway_service.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "harness/child_process.h"

#ifndef TIMESTORE_SOURCE_DIR
#error "TIMESTORE_SOURCE_DIR must name the checkout (set by harness/CMakeLists.txt)"
#endif

namespace timestore::harness {

namespace {

SpawnOptions ScriptCommand(const std::string& script, std::string_view verb,
                           const std::string& state_file, const std::string& log_path) {
  SpawnOptions options;
  options.argv = {"/bin/bash", script, std::string(verb), state_file};
  options.env = ChildEnvironment({}, {});
  options.output_path = log_path;
  return options;
}

}  // namespace

std::string ProjectScript(std::string_view name) {
  return std::string(TIMESTORE_SOURCE_DIR) + "/scripts/" + std::string(name);
}

common::Result<ThrowawayService> ThrowawayService::Start(const std::string& script,
                                                         const std::string& state_file,
                                                         const std::string& log_path,
                                                         CleanupRegistry* cleanup) {
  ThrowawayService service;
  service.script_ = script;
  service.state_file_ = state_file;
  service.log_path_ = log_path;
  service.cleanup_ = cleanup;
  service.running_ = true;  // from here on Stop() runs the stop script, which is idempotent
  if (cleanup != nullptr) {
    service.cleanup_id_ = cleanup->Add([script, state_file, log_path] {
      (void)RunCommand(ScriptCommand(script, "stop", state_file, log_path));
    });
  }
  TS_ASSIGN_OR_RETURN(int rc, RunCommand(ScriptCommand(script, "start", state_file, log_path)));
  if (rc != 0) {
    return common::Unavailable(script + " start exited with " + std::to_string(rc) + " (see " +
                               log_path + ")");
  }
  std::ifstream in(state_file);
  std::stringstream text;
  text << in.rdbuf();
  service.state_ = text.str();
  return service;
}

ThrowawayService::ThrowawayService(ThrowawayService&& other) noexcept
    : script_(std::move(other.script_)),
      state_file_(std::move(other.state_file_)),
      log_path_(std::move(other.log_path_)),
      state_(std::move(other.state_)),
      cleanup_(other.cleanup_),
      cleanup_id_(std::exchange(other.cleanup_id_, 0)),
      running_(std::exchange(other.running_, false)) {}

ThrowawayService::~ThrowawayService() { (void)Stop(); }

common::Result<std::string> ThrowawayService::Export(std::string_view name) const {
  const std::string marker = " " + std::string(name) + "='";
  const size_t begin = state_.find(marker);
  const size_t end = begin == std::string::npos ? begin : state_.find('\'', begin + marker.size());
  if (end == std::string::npos) {
    return common::Internal("no " + std::string(name) + " in " + state_file_);
  }
  return state_.substr(begin + marker.size(), end - begin - marker.size());
}

common::Status ThrowawayService::Stop() {
  if (!running_) return common::Status::Ok();
  running_ = false;
  if (cleanup_ != nullptr && cleanup_id_ != 0) cleanup_->Remove(cleanup_id_);
  cleanup_id_ = 0;
  return RunScript("stop");
}

common::Status ThrowawayService::Command(std::string_view verb) {
  if (!running_) return common::FailedPrecondition(script_ + " is stopped");
  return RunScript(verb);
}

common::Status ThrowawayService::RunScript(std::string_view verb) {
  TS_ASSIGN_OR_RETURN(int rc, RunCommand(ScriptCommand(script_, verb, state_file_, log_path_)));
  if (rc != 0) {
    return common::Internal(script_ + " " + std::string(verb) + " exited with " +
                            std::to_string(rc) + " (see " + log_path_ + ")");
  }
  return common::Status::Ok();
}

}  // namespace timestore::harness
