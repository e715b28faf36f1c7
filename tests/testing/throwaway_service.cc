#include "testing/throwaway_service.h"

#include <gtest/gtest.h>

#include "testing/subprocess.h"

#ifndef TIMESTORE_SOURCE_DIR
#error "TIMESTORE_SOURCE_DIR must name the checkout (set by tests/testing/CMakeLists.txt)"
#endif

namespace timestore::testing {

ThrowawayService::ThrowawayService(std::string script, const std::string& url_variable)
    : script_(std::move(script)), state_file_((state_.path() / "service.env").string()) {
  auto [code, out] = Run("start");
  EXPECT_EQ(code, 0) << out;
  const std::string marker = url_variable + "='";
  const auto at = out.find(marker);
  if (at == std::string::npos) {
    ADD_FAILURE() << script_ << " printed no " << url_variable << ": " << out;
    return;
  }
  const auto begin = at + marker.size();
  url_ = out.substr(begin, out.find('\'', begin) - begin);
}

ThrowawayService::~ThrowawayService() { Run("stop"); }

bool ThrowawayService::Pause() { return Run("pause").first == 0; }

bool ThrowawayService::Resume() { return Run("resume").first == 0; }

std::pair<int, std::string> ThrowawayService::Run(const std::string& command) {
  return RunCommand({"/bin/bash", std::string(TIMESTORE_SOURCE_DIR) + "/scripts/" + script_,
                     command, state_file_});
}

}  // namespace timestore::testing
