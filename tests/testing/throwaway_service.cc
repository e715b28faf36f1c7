#include "testing/throwaway_service.h"

#include <gtest/gtest.h>

namespace timestore::testing {

ThrowawayService::ThrowawayService(const std::string& script, const std::string& url_variable) {
  const std::string dir = state_.path().string();
  auto started = harness::ThrowawayService::Start(harness::ProjectScript(script),
                                                  dir + "/service.env", dir + "/service.log",
                                                  /*cleanup=*/nullptr);
  if (!started.ok()) {
    ADD_FAILURE() << started.status().ToString();
    return;
  }
  service_.emplace(std::move(*started));
  auto url = service_->Export(url_variable);
  if (!url.ok()) {
    ADD_FAILURE() << url.status().ToString();
    return;
  }
  url_ = *url;
}

bool ThrowawayService::Pause() { return service_ && service_->Command("pause").ok(); }

bool ThrowawayService::Resume() { return service_ && service_->Command("resume").ok(); }

}  // namespace timestore::testing
