// Helpers shared by the Server tests: a fixture that runs a Server on 127.0.0.1:0, a bounded Gate
// for handlers that must wait for the test, and polling with a deadline (never a bare sleep).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "http/server.h"
#include "observability/logger.h"
#include "observability/metrics.h"
#include "testing/eventually.h"
#include "testing/raw_http_client.h"

namespace timestore::http::testing {

using ::timestore::testing::MakeRequest;
using ::timestore::testing::RawHttpClient;
using ::timestore::testing::RawResponse;

using namespace std::chrono_literals;

// A one-shot latch. Waits are bounded so that a broken server fails a test instead of hanging it.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  bool Wait(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }
  bool is_open() {
    std::lock_guard lock(mu_);
    return open_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls `done` until it holds or `timeout` passes (testing::Eventually); returns its last value.
inline bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
  return ::timestore::testing::Eventually(done, timeout);
}

inline double MillisecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

class ServerTest : public ::testing::Test {
 protected:
  // Starts a server on an ephemeral loopback port with `router` and `options`.
  void StartServer(Router router, ServerOptions options = {},
                   observability::Logger logger = observability::GetLogger("http")) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<Server>(std::move(options), std::move(router), std::move(logger),
                                       &metrics_);
    const common::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  void TearDown() override {
    if (server_) server_->Stop();
  }

  observability::MetricsRegistry metrics_;  // declared first: outlives the server
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
};

}  // namespace timestore::http::testing
