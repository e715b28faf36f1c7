// Streamed (chunked) responses: completeness, bounded memory, back-pressure, client disconnects.
#include <atomic>
#include <fstream>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "http/server.h"
#include "http/server_test_support.h"
#include "testing/raw_http_client.h"

namespace timestore::http::testing {
namespace {

// Resident set size of this process in bytes (0 when /proc is unavailable).
uint64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      uint64_t kb = 0;
      status >> kb;
      return kb * 1024;
    }
    status.ignore(1 << 20, '\n');
  }
  return 0;
}

// The body byte at offset `o` of the pattern streams use, so the client can verify every byte.
char PatternByte(uint64_t o) { return static_cast<char>(o % 251); }

TEST_F(ServerTest, StreamedResponseArrivesCompleteWithBoundedServerMemory) {
  constexpr uint64_t kTotal = 50ull << 20;
  // 1 MiB + one period of the pattern: any piece of up to 1 MiB at any offset is a substring.
  std::string pattern((1 << 20) + 251, '\0');
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = PatternByte(i);
  Router router;
  router.Add("GET", "/export", [&](const Request&) {
    Response r;
    r.content_type = "application/octet-stream";
    r.stream = [&](BodySink& sink) -> common::Status {
      // Mixed sizes exercise both coalescing (small writes) and pass-through (large ones).
      static constexpr size_t kSizes[] = {1, 100, 4000, 70000, 300000, 1 << 20};
      uint64_t offset = 0;
      for (size_t i = 0; offset < kTotal; ++i) {
        const size_t n = std::min<uint64_t>(kSizes[i % std::size(kSizes)], kTotal - offset);
        TS_RETURN_IF_ERROR(sink.Write(std::string_view(pattern).substr(offset % 251, n)));
        offset += n;
      }
      return common::Status::Ok();
    };
    return r;
  });
  StartServer(std::move(router));

  const uint64_t rss_before = ResidentBytes();
  uint64_t rss_peak = rss_before;
  RawHttpClient c(port_);
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/export")));
  const auto start = std::chrono::steady_clock::now();
  auto head = c.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("transfer-encoding"), "chunked");
  EXPECT_EQ(head->Header("content-type"), "application/octet-stream");
  EXPECT_FALSE(head->Header("x-request-id").empty());
  uint64_t received = 0;
  uint64_t wrong_bytes = 0;
  uint64_t next_sample = 1 << 20;
  const bool complete = c.ReadChunkedBody([&](std::string_view data) {
    for (char ch : data) wrong_bytes += ch != PatternByte(received++);
    if (received >= next_sample) {
      rss_peak = std::max(rss_peak, ResidentBytes());
      next_sample += 1 << 20;
    }
  });
  const double ms = MillisecondsSince(start);
  EXPECT_TRUE(complete);
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(wrong_bytes, 0u);
  const double growth_mib = static_cast<double>(rss_peak - rss_before) / (1 << 20);
  std::printf("streamed 50 MiB in %.0f ms (%.0f MiB/s); RSS growth during the stream %.1f MiB\n",
              ms, 50 / (ms / 1000), growth_mib);
  EXPECT_LT(growth_mib, 24.0);  // the body is never held in memory

  // The connection is reusable after a streamed response.
  auto r = c.Roundtrip(MakeRequest("GET", "/missing"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST_F(ServerTest, StreamWritesBlockWhenTheClientStopsReadingAndFailWhenItDisconnects) {
  std::atomic<uint64_t> written{0};
  std::promise<common::Status> stream_result;
  Router router;
  router.Add("GET", "/endless", [&](const Request&) {
    Response r;
    r.stream = [&](BodySink& sink) {
      const std::string chunk(64 << 10, 'x');
      common::Status s;
      while (written.load() < (4ull << 30)) {
        s = sink.Write(chunk);
        if (!s.ok()) break;
        written += chunk.size();
      }
      stream_result.set_value(s);
      return s;
    };
    return r;
  });
  StartServer(std::move(router));

  RawHttpClient c(port_);
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/endless")));
  auto head = c.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  // Not reading: once the socket buffers are full the handler must be parked in Write.
  uint64_t last = 0;
  int stable_samples = 0;
  ASSERT_TRUE(WaitUntil([&] {
    const uint64_t now = written.load();
    stable_samples = (now == last && now > 0) ? stable_samples + 1 : 0;
    last = now;
    return stable_samples >= 20;  // unchanged for ~200 ms
  }));
  std::printf("handler blocked after %.1f MiB written to a client that does not read\n",
              static_cast<double>(last) / (1 << 20));
  EXPECT_LT(last, 256ull << 20);

  c.Close(/*reset=*/true);
  auto result = stream_result.get_future();
  ASSERT_EQ(result.wait_for(10s), std::future_status::ready);
  const common::Status s = result.get();
  EXPECT_EQ(s.code(), common::StatusCode::kUnavailable) << s.ToString();
  EXPECT_LT(written.load(), 4ull << 30);
}

TEST_F(ServerTest, FailedStreamEndsTheConnectionWithoutTheFinalChunk) {
  Router router;
  router.Add("GET", "/broken", [](const Request&) {
    Response r;
    r.stream = [](BodySink& sink) {
      TS_RETURN_IF_ERROR(sink.Write(std::string(100, 'a')));
      TS_RETURN_IF_ERROR(sink.Flush());
      return common::Internal("the query failed half-way");
    };
    return r;
  });
  StartServer(std::move(router));
  RawHttpClient c(port_);
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/broken")));
  auto head = c.ReadHead();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  std::string body;
  EXPECT_FALSE(c.ReadChunkedBody([&](std::string_view d) { body.append(d); }));
  EXPECT_EQ(body, std::string(100, 'a'));  // what was sent arrives; then the connection ends
}

TEST_F(ServerTest, HeadOfAStreamedRouteSendsHeadersWithoutCallingTheStream) {
  std::atomic<int> calls{0};
  Router router;
  router.Add("GET", "/export", [&](const Request&) {
    Response r;
    r.stream = [&](BodySink& sink) {
      ++calls;
      return sink.Write("data");
    };
    return r;
  });
  StartServer(std::move(router));
  RawHttpClient c(port_);
  auto head = c.Roundtrip(MakeRequest("HEAD", "/export"), /*head_request=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  auto get = c.Roundtrip(MakeRequest("GET", "/export"));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "data");
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(ServerTest, StopDuringAStreamFailsTheBlockedWrite) {
  std::promise<common::Status> stream_result;
  Gate streaming;
  Router router;
  router.Add("GET", "/endless", [&](const Request&) {
    Response r;
    r.stream = [&](BodySink& sink) {
      const std::string chunk(64 << 10, 'x');
      common::Status s;
      streaming.Open();
      while ((s = sink.Write(chunk)).ok()) {
      }
      stream_result.set_value(s);
      return s;
    };
    return r;
  });
  ServerOptions options;
  options.shutdown_grace = 200ms;
  StartServer(std::move(router), options);
  RawHttpClient c(port_);  // reads nothing, so the stream blocks
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/endless")));
  ASSERT_TRUE(streaming.Wait());
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(MillisecondsSince(start), 8000);
  auto result = stream_result.get_future();
  ASSERT_EQ(result.wait_for(0s), std::future_status::ready);  // Stop waited for the handler
  EXPECT_EQ(result.get().code(), common::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace timestore::http::testing
