#include "http/server.h"

#include <atomic>
#include <cerrno>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/json_writer.h"
#include "http/error_response.h"
#include "http/server_test_support.h"
#include "testing/raw_http_client.h"

namespace timestore::http::testing {
namespace {

Response Text(std::string body) { return Response::Json(std::move(body)); }

// Echoes what the server parsed, as JSON, so tests can check the Request a handler sees.
Response Echo(const Request& r) {
  common::JsonWriter w;
  w.BeginObject()
      .Key("method")
      .String(r.method)
      .Key("path")
      .String(r.path)
      .Key("route")
      .String(r.route)
      .Key("slug")
      .String(r.PathParam("slug").value_or("-"))
      .Key("limit")
      .String(r.QueryParam("limit").value_or("-"))
      .Key("tag")
      .String(r.QueryParam("tag").value_or("-"))
      .Key("custom")
      .String(r.Header("X-Custom").value_or("-"))
      .Key("body")
      .String(r.body)
      .Key("request_id")
      .String(r.request_id)
      .Key("remote")
      .String(r.remote_address)
      .EndObject();
  return Response::Json(w.TakeBuffer());
}

Router EchoRouter() {
  Router router;
  router.Add("GET", "/datasets/:slug/rows", Echo);
  router.Add("POST", "/datasets/:slug/ingest", Echo);
  router.Add("GET", "/hello", [](const Request&) { return Text(R"({"hello":"world"})"); });
  return router;
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

TEST_F(ServerTest, HandlerSeesPathParamsQueryHeadersAndBody) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("POST", "/datasets/cpu%2Dload/ingest?limit=10&tag=a+b",
                                   "X-Custom: yes\r\nContent-Type: application/json\r\n",
                                   R"({"rows":[]})"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-type"), "application/json; charset=utf-8");
  EXPECT_FALSE(r->Header("date").empty());
  const std::string id = r->Header("x-request-id");
  EXPECT_TRUE(StartsWith(id, "req-")) << id;
  const std::string expected_prefix =
      R"({"method":"POST","path":"/datasets/cpu%2Dload/ingest","route":"/datasets/:slug/ingest",)"
      R"("slug":"cpu-load","limit":"10","tag":"a b","custom":"yes","body":"{\"rows\":[]}",)"
      R"("request_id":")" +
      id + R"(","remote":"127.0.0.1:)";
  EXPECT_TRUE(StartsWith(r->body, expected_prefix)) << r->body;
}

TEST_F(ServerTest, UnknownRouteIs404InFastifyShape) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/nope?x=1"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body,
            R"({"statusCode":404,"error":"Not Found","message":"Route GET:/nope?x=1 not found"})");
  // The connection stays usable after an error answer.
  r = c.Roundtrip(MakeRequest("GET", "/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, WrongMethodIs405WithAllowHeader) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("DELETE", "/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->Header("allow"), "GET, HEAD");
  EXPECT_EQ(r->body,
            R"({"statusCode":405,"error":"Method Not Allowed",)"
            R"j("message":"Method DELETE is not allowed on /hello (allowed: GET, HEAD)"})j");
}

TEST_F(ServerTest, HeadIsServedByTheGetHandlerWithoutABody) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("HEAD", "/hello"), /*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("content-length"), "17");  // the length the GET body would have
  // No body bytes were sent: the next response on the connection parses cleanly.
  r = c.Roundtrip(MakeRequest("GET", "/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"hello":"world"})");
}

TEST_F(ServerTest, InvalidPercentEncodingInThePathIs400) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/datasets/%zz/rows"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, R"({"statusCode":400,"error":"Bad Request",)"
                     R"("message":"'/datasets/%zz/rows' is not a valid url component"})");
}

TEST_F(ServerTest, BodyOverTheLimitIs413FromContentLengthBeforeReadingIt) {
  ServerOptions options;
  options.body_limit_bytes = 1024;
  StartServer(EchoRouter(), options);
  RawHttpClient c(port_);
  // Only the header is sent: the answer must not wait for a 100 MB body.
  auto r = c.Roundtrip(
      "POST /datasets/cpu/ingest HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, R"({"statusCode":413,"error":"Payload Too Large",)"
                     R"("message":"Request body is too large"})");
  EXPECT_EQ(r->Header("connection"), "close");
  EXPECT_TRUE(c.WaitForClose(5s));

  // A body exactly at the limit is fine.
  RawHttpClient ok(port_);
  r = ok.Roundtrip(MakeRequest("POST", "/datasets/cpu/ingest", "Content-Type: application/json\r\n",
                               std::string(1024, ' ')));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitIs413WhileItIsRead) {
  ServerOptions options;
  options.body_limit_bytes = 1024;
  StartServer(EchoRouter(), options);
  RawHttpClient c(port_);
  std::string request =
      "POST /datasets/cpu/ingest HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) request += "200\r\n" + std::string(512, 'x') + "\r\n";
  request += "0\r\n\r\n";
  auto r = c.Roundtrip(request);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->body, R"({"statusCode":413,"error":"Payload Too Large",)"
                     R"("message":"Request body is too large"})");
  EXPECT_TRUE(c.WaitForClose(5s));
}

TEST_F(ServerTest, ChunkedBodyWithinTheLimitReachesTheHandler) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(
      "POST /datasets/cpu/ingest HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2\r\n2]\r\n0\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(R"("body":"[1,2]")"), std::string::npos) << r->body;
}

TEST_F(ServerTest, ExpectContinueGetsA100BeforeTheBody) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  ASSERT_TRUE(
      c.Send("POST /datasets/cpu/ingest HTTP/1.1\r\nHost: t\r\n"
             "Content-Type: application/json\r\nContent-Length: 2\r\n"
             "Expect: 100-continue\r\n\r\n"));
  auto interim = c.ReadResponse();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.Send("{}"));
  auto r = c.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(R"("body":"{}")"), std::string::npos) << r->body;
}

TEST_F(ServerTest, NonJsonBodyIs415AndEmptyJsonBodyIs400LikeFastify) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("POST", "/datasets/cpu/ingest",
                                   "Content-Type: text/plain; charset=utf-8\r\n", "hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(r->body, R"({"statusCode":415,"error":"Unsupported Media Type",)"
                     R"("message":"Unsupported Media Type: text/plain; charset=utf-8"})");

  r = c.Roundtrip(MakeRequest("POST", "/datasets/cpu/ingest", "", "hello"));  // no content-type
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 415);
  EXPECT_EQ(r->body, R"({"statusCode":415,"error":"Unsupported Media Type",)"
                     R"("message":"Unsupported Media Type"})");

  r = c.Roundtrip(
      MakeRequest("POST", "/datasets/cpu/ingest", "Content-Type: application/json\r\n", ""));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, R"({"statusCode":400,"error":"Bad Request","message":)"
                     R"("Body cannot be empty when content-type is set to 'application/json'"})");

  r = c.Roundtrip(MakeRequest("POST", "/datasets/cpu/ingest",
                              "Content-Type: Application/Vnd.Api+JSON; charset=utf-8\r\n", "{}"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.Roundtrip(MakeRequest("POST", "/datasets/cpu/ingest"));  // no body, no content-type
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, HandlerExceptionIs500WithoutItsMessageAndIsLogged) {
  Router router;
  router.Add("GET", "/boom", [](const Request&) -> Response {
    throw std::runtime_error("password=hunter2 at db.internal:5432");
  });
  StartServer(std::move(router));
  RawHttpClient c(port_);
  ::testing::internal::CaptureStderr();
  auto r = c.Roundtrip(MakeRequest("GET", "/boom", "x-request-id: boom-1\r\n"));
  auto after = c.Roundtrip(MakeRequest("GET", "/boom"));  // the first one's log lines are written
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, R"({"statusCode":500,"error":"Internal Server Error",)"
                     R"("message":"Internal Server Error"})");
  EXPECT_NE(log.find("password=hunter2 at db.internal:5432"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("request_id":"boom-1")"), std::string::npos) << log;
}

TEST_F(ServerTest, RequestIdIsEchoedWhenSaneAndGeneratedOtherwise) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/datasets/cpu/rows", "X-Request-Id: client-42\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("x-request-id"), "client-42");
  EXPECT_NE(r->body.find(R"("request_id":"client-42")"), std::string::npos);

  for (const std::string& bad : {std::string(129, 'a'), std::string("has space")}) {
    r = c.Roundtrip(MakeRequest("GET", "/datasets/cpu/rows", "X-Request-Id: " + bad + "\r\n"));
    ASSERT_TRUE(r);
    const std::string id = r->Header("x-request-id");
    EXPECT_TRUE(StartsWith(id, "req-")) << id;
    EXPECT_EQ(id.size(), 20u);
    EXPECT_NE(r->body.find(R"("request_id":")" + id), std::string::npos);
  }
  // Generated ids differ.
  auto a = c.Roundtrip(MakeRequest("GET", "/hello"));
  auto b = c.Roundtrip(MakeRequest("GET", "/hello"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->Header("x-request-id"), b->Header("x-request-id"));
}

TEST_F(ServerTest, KeepAliveServesSequentialAndPipelinedRequestsOnOneConnection) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  std::string remote;
  for (int i = 0; i < 5; ++i) {
    auto r = c.Roundtrip(MakeRequest("GET", "/datasets/d" + std::to_string(i) + "/rows"));
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("connection"), "");  // HTTP/1.1 keep-alive is the default
    const std::string this_remote = r->body.substr(r->body.find(R"("remote":)"));
    if (i == 0) remote = this_remote;
    EXPECT_EQ(this_remote, remote);  // same client port: same connection
  }
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/datasets/p1/rows") + MakeRequest("GET", "/hello")));
  auto first = c.ReadResponse();
  auto second = c.ReadResponse();
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->body.find(R"("slug":"p1")"), std::string::npos);
  EXPECT_EQ(second->body, R"({"hello":"world"})");

  // "Connection: close" is honoured.
  auto last = c.Roundtrip(MakeRequest("GET", "/hello", "Connection: close\r\n"));
  ASSERT_TRUE(last);
  EXPECT_EQ(last->Header("connection"), "close");
  EXPECT_TRUE(c.WaitForClose(5s));
}

TEST_F(ServerTest, MalformedRequestIs400AndClosesTheConnection) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  auto r = c.Roundtrip("GET /hello HTTP/1.1\r\nBad Header Without Colon\r\n\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(StartsWith(r->body, R"({"statusCode":400,"error":"Bad Request","message":)"));
  EXPECT_TRUE(c.WaitForClose(5s));
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  StartServer(EchoRouter(), options);
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/hello", "X-Big: " + std::string(4096, 'a') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(c.WaitForClose(5s));
}

TEST_F(ServerTest, SlowHeaderClientIsDisconnectedWhileOthersAreServed) {
  ServerOptions options;
  options.header_timeout = 300ms;
  options.io_threads = 1;
  StartServer(EchoRouter(), options);
  const auto start = std::chrono::steady_clock::now();
  RawHttpClient slow(port_);
  ASSERT_TRUE(slow.Send("GET /hello HTTP/1.1\r\nHost: t\r\n"));  // and never the blank line
  for (int i = 0; i < 3; ++i) {
    RawHttpClient other(port_);
    auto r = other.Roundtrip(MakeRequest("GET", "/hello"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_TRUE(slow.WaitForClose(10s));
  EXPECT_GE(MillisecondsSince(start), 250);  // not before the header timeout
}

TEST_F(ServerTest, SlowBodyIsDisconnectedAfterTheBodyTimeout) {
  ServerOptions options;
  options.body_timeout = 300ms;
  StartServer(EchoRouter(), options);
  RawHttpClient slow(port_);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      slow.Send("POST /datasets/cpu/ingest HTTP/1.1\r\nHost: t\r\n"
                "Content-Type: application/json\r\nContent-Length: 10\r\n\r\n{\"a\":"));
  EXPECT_TRUE(slow.WaitForClose(10s));
  EXPECT_GE(MillisecondsSince(start), 250);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout) {
  ServerOptions options;
  options.keep_alive_timeout = 300ms;
  StartServer(EchoRouter(), options);
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/hello"));
  ASSERT_TRUE(r);
  const auto answered = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.WaitForClose(10s));
  EXPECT_GE(MillisecondsSince(answered), 250);
}

TEST_F(ServerTest, KeepAliveHeaderAdvertisesTheTimeoutInSeconds) {
  StartServer(EchoRouter());  // default 72 s, like Fastify
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("keep-alive"), "timeout=72");
}

TEST_F(ServerTest, SlowHandlerDoesNotDelayRequestsOnOtherConnections) {
  Gate slow_entered;
  Gate release_slow;
  Router router = EchoRouter();
  router.Add("GET", "/slow", [&](const Request&) {
    slow_entered.Open();
    release_slow.Wait();  // stands for a 2 s query, but ends when the test says so
    return Text(R"({"slow":true})");
  });
  ServerOptions options;
  options.io_threads = 1;
  options.worker_threads = 2;
  StartServer(std::move(router), options);

  RawHttpClient slow(port_);
  ASSERT_TRUE(slow.Send(MakeRequest("GET", "/slow")));
  ASSERT_TRUE(slow_entered.Wait());
  double worst_ms = 0;
  for (int i = 0; i < 20; ++i) {
    RawHttpClient fast(port_);
    const auto t = std::chrono::steady_clock::now();
    auto r = fast.Roundtrip(MakeRequest("GET", "/hello"));
    worst_ms = std::max(worst_ms, MillisecondsSince(t));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_FALSE(release_slow.is_open());  // every fast answer came while the slow one was running
  std::printf("20 fast requests during a blocked handler: worst %.1f ms\n", worst_ms);
  release_slow.Open();
  auto r = slow.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"({"slow":true})");
}

TEST_F(ServerTest, FullWorkerQueueAnswers503WithRetryAfter) {
  Gate first_entered;
  Gate release;
  Router router;
  router.Add("GET", "/block", [&](const Request&) {
    first_entered.Open();
    release.Wait();
    return Text("{}");
  });
  ServerOptions options;
  options.worker_threads = 1;
  options.max_queued_requests = 1;
  StartServer(std::move(router), options);

  RawHttpClient running(port_);
  ASSERT_TRUE(running.Send(MakeRequest("GET", "/block")));
  ASSERT_TRUE(first_entered.Wait());  // the only worker is busy
  // One of the next two is queued (capacity 1), the other is turned away at once.
  RawHttpClient b(port_);
  RawHttpClient c(port_);
  ASSERT_TRUE(b.Send(MakeRequest("GET", "/block")));
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/block")));
  RawHttpClient* rejected = nullptr;
  ASSERT_TRUE(WaitUntil([&] {
    if (b.WaitReadable(0ms))
      rejected = &b;
    else if (c.WaitReadable(0ms))
      rejected = &c;
    return rejected != nullptr;
  }));
  RawHttpClient* queued = rejected == &b ? &c : &b;
  auto r = rejected->ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->Header("retry-after"), "1");
  EXPECT_EQ(r->body, R"({"statusCode":503,"error":"Service Unavailable",)"
                     R"("message":"Server is busy, try again later"})");
  release.Open();
  for (RawHttpClient* client : {&running, queued}) {
    auto ok = client->ReadResponse();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
  }
}

TEST_F(ServerTest, StopLetsInFlightRequestsFinishAndRefusesNewConnections) {
  Gate entered;
  Gate release;
  Router router = EchoRouter();
  router.Add("GET", "/slow", [&](const Request&) {
    entered.Open();
    release.Wait();
    return Text(R"({"slow":true})");
  });
  StartServer(std::move(router));  // shutdown_grace 10 s

  RawHttpClient in_flight(port_);
  ASSERT_TRUE(in_flight.Send(MakeRequest("GET", "/slow")));
  ASSERT_TRUE(entered.Wait());
  RawHttpClient idle(port_);
  ASSERT_TRUE(idle.Roundtrip(MakeRequest("GET", "/hello")));

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    server_->Stop();
    stopped = true;
  });
  // A probe racing the close of the listening socket may be accepted or reset; once it is closed,
  // connecting is refused.
  EXPECT_TRUE(WaitUntil([&] { return RawHttpClient(port_).connect_error() == ECONNREFUSED; }));
  EXPECT_TRUE(idle.WaitForClose(5s));  // idle keep-alive connections are closed at once
  EXPECT_FALSE(stopped.load());        // ... but Stop waits for the request in flight

  release.Open();
  auto r = in_flight.ReadResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"slow":true})");
  EXPECT_EQ(r->Header("connection"), "close");
  stopper.join();
  EXPECT_TRUE(stopped.load());
  server_->Stop();  // idempotent
}

TEST_F(ServerTest, StopForceClosesRequestsThatOutliveTheGraceAndSignalsTheirStopToken) {
  Gate entered;
  std::atomic<bool> saw_stop{false};
  Router router;
  router.Add("GET", "/stuck", [&](const Request& request) {
    entered.Open();
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, request.stop_token, 20s, [] { return false; });
    saw_stop = request.stop_token.stop_requested();
    return Text("{}");
  });
  ServerOptions options;
  options.shutdown_grace = 300ms;
  StartServer(std::move(router), options);

  RawHttpClient c(port_);
  ASSERT_TRUE(c.Send(MakeRequest("GET", "/stuck")));
  ASSERT_TRUE(entered.Wait());
  const auto start = std::chrono::steady_clock::now();
  server_->Stop();
  const double stop_ms = MillisecondsSince(start);
  EXPECT_GE(stop_ms, 250);
  EXPECT_LT(stop_ms, 8000);
  EXPECT_TRUE(saw_stop.load());
  EXPECT_FALSE(c.ReadResponse());  // closed without an answer
}

TEST_F(ServerTest, ManyConcurrentKeepAliveClientsAreAllServed) {
  Router router;
  router.Add("GET", "/ping", [](const Request&) { return Text(R"({"pong":true})"); });
  ServerOptions options;
  options.io_threads = 2;  // connections' strands spread over two I/O threads
  StartServer(std::move(router), options, observability::Logger());  // no 3200 log lines
  constexpr int kClients = 64;
  constexpr int kRequestsEach = 50;
  std::atomic<int> ok{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&] {
      RawHttpClient c(port_);
      for (int j = 0; j < kRequestsEach; ++j) {
        auto r = c.Roundtrip(MakeRequest("GET", "/ping"));
        if (!r || r->status != 200 || r->body != R"({"pong":true})") return;
        ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  const double ms = MillisecondsSince(start);
  EXPECT_EQ(ok.load(), kClients * kRequestsEach);
  std::printf("%d keep-alive clients x %d requests: %.0f ms (%.0f req/s)\n", kClients,
              kRequestsEach, ms, kClients * kRequestsEach / (ms / 1000));
}

TEST_F(ServerTest, MetricsCountRequestsByRoutePatternNotRawPath) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  ASSERT_TRUE(c.Roundtrip(MakeRequest("GET", "/datasets/cpu/rows")));
  ASSERT_TRUE(c.Roundtrip(MakeRequest("GET", "/datasets/mem/rows?limit=1")));
  ASSERT_TRUE(c.Roundtrip(MakeRequest("GET", "/nope")));
  ASSERT_TRUE(c.Roundtrip(MakeRequest("DELETE", "/hello")));
  auto counter = [&](std::string method, std::string route, std::string status) {
    return metrics_
        .GetCounter("timestore_http_requests_total", "",
                    {{"method", method}, {"route", route}, {"status", status}})
        .value();
  };
  // Recorded when the write completes, which can be just after the client read the answer.
  EXPECT_TRUE(WaitUntil([&] { return counter("DELETE", "/hello", "405") == 1; }));
  EXPECT_EQ(counter("GET", "/datasets/:slug/rows", "200"), 2);
  EXPECT_EQ(counter("GET", "unmatched", "404"), 1);
  const std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("timestore_http_request_duration_seconds_count{method=\"GET\","
                      "route=\"/datasets/:slug/rows\"} 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("/datasets/cpu/rows"), std::string::npos);
}

TEST_F(ServerTest, AccessLogHasOneJsonLinePerRequest) {
  StartServer(EchoRouter());
  RawHttpClient c(port_);
  ::testing::internal::CaptureStderr();
  auto r = c.Roundtrip(MakeRequest("GET", "/datasets/cpu/rows?limit=5", "X-Request-Id: log-1\r\n"));
  // A second request on the same connection is read only after the first one was logged.
  auto r2 = c.Roundtrip(MakeRequest("GET", "/hello"));
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(r && r2);
  const size_t at = log.find(R"("request_id":"log-1")");
  ASSERT_NE(at, std::string::npos) << log;
  const size_t begin = log.rfind('\n', at) == std::string::npos ? 0 : log.rfind('\n', at) + 1;
  const std::string line = log.substr(begin, log.find('\n', at) - begin);
  for (const char* part :
       {R"("level":"info")", R"("logger":"http")", R"("msg":"request")", R"("method":"GET")",
        R"("url":"/datasets/cpu/rows?limit=5")", R"("route":"/datasets/:slug/rows")",
        R"("status":200)", R"("duration_ms":)", R"("remote":"127.0.0.1:)"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
  EXPECT_NE(line.find(R"("bytes":)" + std::to_string(r->body.size())), std::string::npos) << line;
}

TEST_F(ServerTest, StartOnAPortInUseOrWithoutThreadsReturnsAStatus) {
  StartServer(EchoRouter());
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  Server second(options, EchoRouter(), observability::GetLogger("http"));
  const common::Status s = second.Start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), common::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("in use"), std::string::npos) << s.message();
  EXPECT_EQ(second.port(), 0);
  ServerOptions no_worker_options;
  no_worker_options.port = 0;
  no_worker_options.worker_threads = 0;
  Server no_workers(no_worker_options, EchoRouter(), observability::Logger());
  EXPECT_EQ(no_workers.Start().code(), common::StatusCode::kInvalidArgument);
  // The first server is unaffected.
  RawHttpClient c(port_);
  auto r = c.Roundtrip(MakeRequest("GET", "/hello"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace timestore::http::testing
