#include "catalog/dataset_change_listener.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace timestore::catalog {
namespace {

constexpr std::chrono::milliseconds kPollInterval{200};  // how soon a stop request is seen
constexpr std::chrono::milliseconds kFirstBackoff{250};
constexpr std::chrono::milliseconds kMaxBackoff{5000};

// Sleeps for `d` or until `stop` is requested.
void SleepFor(std::chrono::milliseconds d, const std::stop_token& stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
}

}  // namespace

namespace {
PgConnectOptions ListenerOptions(PgConnectOptions connect) {
  connect.application_name =
      "timestore listener " + connect.schema;  // names it in pg_stat_activity
  connect.statement_timeout = std::chrono::milliseconds(0);
  return connect;
}
}  // namespace

DatasetChangeListener::DatasetChangeListener(PgConnectOptions connect, DatasetCache& cache)
    : connect_(ListenerOptions(std::move(connect))),
      cache_(cache),
      logger_(observability::GetLogger("catalog.listener")),
      thread_([this](const std::stop_token& stop) { Run(stop); }) {}

DatasetChangeListener::~DatasetChangeListener() {
  thread_.request_stop();
  thread_.join();
  cache_.SetEnabled(false);
}

void DatasetChangeListener::Run(const std::stop_token& stop) {
  std::chrono::milliseconds backoff = kFirstBackoff;
  while (!stop.stop_requested()) {
    auto conn = PgConnection::Connect(connect_);
    if (conn.ok()) {
      auto listening = conn->ExecScript("LISTEN \"" + std::string(kDatasetChannel) + "\"");
      if (listening.ok()) {
        backoff = kFirstBackoff;
        Listen(*conn, stop);
      }
    }
    if (stop.stop_requested()) break;
    SleepFor(backoff, stop);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void DatasetChangeListener::Listen(PgConnection& conn, const std::stop_token& stop) {
  // Everything cached before the LISTEN may have changed unseen.
  cache_.SetEnabled(true);
  const std::string prefix = connect_.schema + "/";
  while (!stop.stop_requested()) {
    auto payloads = conn.WaitForNotifications(kDatasetChannel, kPollInterval);
    if (!payloads.ok()) {
      cache_.SetEnabled(false);
      logger_.Warn(
          "dataset change notifications lost; reading datasets from the catalog until "
          "they are back",
          observability::LogFields().Add("error", payloads.status().message()));
      return;
    }
    for (const std::string& payload : *payloads) {
      if (payload.starts_with(prefix)) cache_.Invalidate(DatasetId(payload.substr(prefix.size())));
    }
  }
}

}  // namespace timestore::catalog
