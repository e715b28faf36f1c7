#include "storage/s3_client.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <curl/curl.h>
#include <unistd.h>

#include "common/text.h"
#include "storage/posix_file.h"
#include "storage/s3_xml.h"
#include "storage/sha256_hasher.h"

namespace timestore::storage {
namespace {

using common::Status;

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr size_t kMaxErrorBodyBytes = 64 << 10;
constexpr size_t kMaxMessageBytes = 300;
constexpr size_t kMaxIdleHandles = 8;

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

Status InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    return common::Internal(std::string("curl_global_init failed: ") + curl_easy_strerror(result));
  }
  return Status::Ok();
}

// curl errors worth another attempt: the network or the server, not our request or local I/O.
bool IsRetryableCurlError(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_NOT_BUILT_IN:
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
    case CURLE_WRITE_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_LOGIN_DENIED:
      return false;
    default:
      return true;
  }
}

// Error codes saying the credentials themselves were refused (not merely lacking a permission).
bool IsCredentialsCode(std::string_view code) {
  return code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId" ||
         code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired" ||
         code == "AuthorizationHeaderMalformed" || code == "InvalidClientTokenId";
}

// The state of one attempt, shared with the curl callbacks.
struct Transfer {
  CURL* curl = nullptr;
  int upload_fd = -1;
  int64_t upload_offset = 0;
  int64_t upload_length = 0;
  int64_t upload_sent = 0;
  std::optional<Sha256Hasher> upload_hasher;
  int download_fd = -1;
  std::optional<bool> body_to_file;  // decided at the first body byte, from the status
  std::optional<Sha256Hasher> download_hasher;
  int64_t downloaded = 0;
  std::string* body = nullptr;
  std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  int io_errno = 0;  // a local read or write failed
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const int64_t remaining = t->upload_length - t->upload_sent;
  if (remaining <= 0) return 0;
  const size_t want = std::min<size_t>(size * count, static_cast<size_t>(remaining));
  while (true) {
    const ssize_t n = ::pread(t->upload_fd, buffer, want, t->upload_offset + t->upload_sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      t->io_errno = n < 0 ? errno : EIO;  // 0: the file shrank under us
      return CURL_READFUNC_ABORT;
    }
    t->upload_hasher->Update(std::string_view(buffer, static_cast<size_t>(n)));
    t->upload_sent += n;
    return static_cast<size_t>(n);
  }
}

int SeekBody(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  // Only a rewind to the start can keep the running hash right.
  if (origin != SEEK_SET || offset != 0) return CURL_SEEKFUNC_CANTSEEK;
  t->upload_sent = 0;
  t->upload_hasher.emplace();
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (!t->body_to_file.has_value()) {
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    t->body_to_file = t->download_fd >= 0 && status >= 200 && status < 300;
  }
  if (!*t->body_to_file) {
    if (t->body->size() < kMaxErrorBodyBytes || t->download_fd < 0) t->body->append(data, n);
    return n;
  }
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::pwrite(t->download_fd, data + done, n - done, t->downloaded);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      t->io_errno = w < 0 ? errno : EIO;
      return 0;  // aborts the transfer with CURLE_WRITE_ERROR
    }
    t->downloaded += w;
    done += static_cast<size_t>(w);
  }
  t->download_hasher->Update(std::string_view(data, n));
  return n;
}

size_t ReadHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->headers->clear();  // a new response (after 100 Continue, say)
    return n;
  }
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->headers->emplace_back(common::ToLowerAscii(line.substr(0, colon)),
                             std::string(common::TrimWhitespace(line.substr(colon + 1))));
  }
  return n;
}

// The headers of every attempt: the signed payload hash, the session token, the request's own.
SlistPtr RequestHeaders(const S3Request& request, const S3Options& options) {
  SlistPtr headers;
  auto add_header = [&headers](const std::string& header) {
    curl_slist* next = curl_slist_append(headers.get(), header.c_str());
    if (next != nullptr) {
      (void)headers.release();
      headers.reset(next);
    }
  };
  add_header("x-amz-content-sha256: " + request.payload_sha256);
  if (!options.session_token.empty()) {
    add_header("x-amz-security-token: " + options.session_token);
  }
  for (const std::string& h : request.headers) add_header(h);
  return headers;
}

// What one attempt needs besides the request: where it goes and how it is signed.
struct AttemptSetup {
  const S3Options& options;
  const std::string& url;
  const std::string& sigv4;  // CURLOPT_AWS_SIGV4's "aws:amz:<region>:s3"
};

// Sets the method-specific options (body, upload from a file) of one attempt on `c`.
void ConfigureMethod(CURL* c, const S3Request& request, Transfer& t) {
  const std::string_view method = request.method;
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method == "PUT") {
    t.upload_fd = request.upload_fd;
    t.upload_offset = request.upload_offset;
    t.upload_length = request.upload_fd >= 0 ? request.upload_length : 0;
    t.upload_hasher.emplace();
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.upload_length));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, &SeekBody);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &t);
  } else if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method);
  }
}

// Sets every option of one attempt on `c`. `t`, `headers` and `error_buffer` (CURL_ERROR_SIZE
// bytes) must outlive the transfer.
void ConfigureTransfer(CURL* c, const S3Request& request, const AttemptSetup& setup, Transfer& t,
                       curl_slist* headers, char* error_buffer) {
  const S3Options& options = setup.options;
  curl_easy_setopt(c, CURLOPT_URL, setup.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(c, CURLOPT_AWS_SIGV4, setup.sigv4.c_str());
  curl_easy_setopt(c, CURLOPT_USERNAME, options.access_key_id.c_str());
  curl_easy_setopt(c, CURLOPT_PASSWORD, options.secret_access_key.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(
      c, CURLOPT_LOW_SPEED_TIME,
      static_cast<long>(std::max<int64_t>(1, (options.low_speed_timeout.count() + 999) / 1000)));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  ConfigureMethod(c, request, t);
}

// Why an attempt got no HTTP answer.
struct TransportFailure {
  std::string error;  // curl's text, with its error buffer's detail
  bool retryable = false;
};

// Runs one attempt of `request` on `c` (freshly reset) into `response`. Nothing on an HTTP answer
// (any status), the TransportFailure when none arrived, an errno Status when local file I/O failed.
common::Result<std::optional<TransportFailure>> PerformAttempt(CURL* c, const S3Request& request,
                                                               const AttemptSetup& setup,
                                                               S3Response& response,
                                                               std::string_view what) {
  Transfer t;
  t.curl = c;
  t.body = &response.body;
  t.headers = &response.headers;
  t.download_fd = request.download_fd;
  if (request.download_fd >= 0) {
    if (::ftruncate(request.download_fd, 0) != 0) {
      return ErrnoStatus(errno, "cannot truncate download file for", what);
    }
    t.download_hasher.emplace();
  }
  const SlistPtr headers = RequestHeaders(request, setup.options);
  char error_buffer[CURL_ERROR_SIZE] = {0};
  ConfigureTransfer(c, request, setup, t, headers.get(), error_buffer);

  const CURLcode rc = curl_easy_perform(c);
  if (t.io_errno != 0) {
    return ErrnoStatus(t.io_errno, "local file I/O failed during S3 request for", what);
  }
  if (rc != CURLE_OK) {
    TransportFailure failure{std::string(curl_easy_strerror(rc)), IsRetryableCurlError(rc)};
    if (error_buffer[0] != '\0') failure.error += " (" + std::string(error_buffer) + ")";
    return std::optional<TransportFailure>(std::move(failure));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  if (t.upload_hasher.has_value()) response.uploaded_sha256 = t.upload_hasher->FinishHex();
  if (t.download_hasher.has_value() && t.body_to_file.value_or(request.download_fd >= 0)) {
    response.downloaded_sha256 = t.download_hasher->FinishHex();
    response.downloaded_bytes = t.downloaded;
  }
  return std::optional<TransportFailure>();
}

}  // namespace

std::string TruncatedForStatus(std::string_view text) {
  return std::string(text.substr(0, kMaxMessageBytes));
}

std::optional<common::UnixMicros> ParseHttpDate(const std::string& text) {
  const time_t seconds = curl_getdate(text.c_str(), nullptr);
  if (seconds <= 0) return std::nullopt;
  return static_cast<common::UnixMicros>(seconds) * 1'000'000;
}

// Idle curl easy handles (and so their open connections), lent one per Send.
class S3Client::HandlePool {
 public:
  CurlPtr Take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CurlPtr curl = std::move(idle_.back());
        idle_.pop_back();
        return curl;
      }
    }
    return CurlPtr(curl_easy_init());
  }
  // Keeps the handle (and so its open connections) for the next call.
  void Give(CurlPtr curl) {
    curl_easy_reset(curl.get());
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(curl));
  }

 private:
  std::mutex mu_;
  std::vector<CurlPtr> idle_;  // guarded by mu_
};

common::Result<std::unique_ptr<S3Client>> S3Client::Open(const S3Options& options,
                                                         std::string scheme, std::string authority,
                                                         observability::Logger logger) {
  TS_RETURN_IF_ERROR(InitCurlOnce());
  return std::unique_ptr<S3Client>(
      new S3Client(options, std::move(scheme), std::move(authority), std::move(logger)));
}

S3Client::S3Client(const S3Options& options, std::string scheme, std::string authority,
                   observability::Logger logger)
    : options_(options),
      retry_{options.max_attempts, options.retry_base_delay},
      scheme_(std::move(scheme)),
      authority_(std::move(authority)),
      sigv4_("aws:amz:" + options.region + ":s3"),
      logger_(std::move(logger)),
      pool_(std::make_unique<HandlePool>()) {}

S3Client::~S3Client() = default;

std::string S3Client::UrlFor(const std::string& bucket_key, const std::string& query) const {
  std::string url = scheme_ + "://";
  if (options_.force_path_style) {
    url += authority_ + "/" + UriEncode(options_.bucket, false);
    if (!bucket_key.empty()) url += "/" + UriEncode(bucket_key, true);
  } else {
    url += options_.bucket + "." + authority_ + "/" + UriEncode(bucket_key, true);
  }
  if (!query.empty()) url += "?" + query;
  return url;
}

common::Result<S3Response> S3Client::Send(S3Request& request, std::string_view what) {
  if (request.payload_sha256.empty()) {
    request.payload_sha256 =
        request.body.empty() ? std::string(kEmptySha256) : Sha256Hex(request.body);
  }
  const std::string url = UrlFor(request.bucket_key, CanonicalQueryString(request.query));
  const AttemptSetup setup{options_, url, sigv4_};

  CurlPtr curl = pool_->Take();
  if (curl == nullptr) return common::Internal("curl_easy_init failed");
  struct Lease {
    HandlePool* pool;
    CurlPtr* curl;
    ~Lease() { pool->Give(std::move(*curl)); }
  } lease{pool_.get(), &curl};

  std::string last_error;
  thread_local std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1; attempt <= retry_.max_attempts; ++attempt) {
    if (attempt > 1) {
      std::this_thread::sleep_for(retry_.Backoff(attempt, rng));
      curl_easy_reset(curl.get());
    }
    S3Response response;
    TS_ASSIGN_OR_RETURN(std::optional<TransportFailure> failure,
                        PerformAttempt(curl.get(), request, setup, response, what));
    if (failure.has_value()) {
      last_error = std::move(failure->error);
      if (!failure->retryable) break;
      logger_.Warn("S3 request failed, retrying" +
                       std::string(retry_.HasAttemptAfter(attempt) ? "" : " (last attempt)"),
                   observability::LogFields()
                       .Add("op", what)
                       .Add("attempt", attempt)
                       .Add("error", last_error));
      continue;
    }
    const std::string code = ParseS3Error(response.body).code;
    if (IsRetryableS3Answer(response.status, code) && retry_.HasAttemptAfter(attempt)) {
      logger_.Warn("S3 request failed, retrying",
                   observability::LogFields()
                       .Add("op", what)
                       .Add("attempt", attempt)
                       .Add("status", static_cast<int64_t>(response.status))
                       .Add("code", code));
      continue;
    }
    return response;
  }
  return common::Unavailable("S3 endpoint " + options_.endpoint + " unreachable: " + last_error +
                             " (" + std::string(what) + ")");
}

Status S3Client::ErrorStatus(const S3Response& response, std::string_view what) const {
  const auto [code, message] = ParseS3Error(response.body);
  std::string detail = code.empty() ? std::string() : code;
  if (!message.empty()) detail += (detail.empty() ? "" : ": ") + TruncatedForStatus(message);
  detail += (detail.empty() ? "HTTP " : " (HTTP ") + std::to_string(response.status) +
            (detail.empty() ? "" : ")");
  const std::string context = std::string(what) + ": ";

  if (code == "NoSuchBucket") {
    return common::Unavailable(context + "bucket '" + options_.bucket + "' does not exist at " +
                               options_.endpoint);
  }
  if (IsCredentialsCode(code)) {
    return common::Unavailable(context + "credentials rejected (" + detail + ")");
  }
  if (response.status == 404) return common::NotFound(context + "no such object (" + detail + ")");
  if (response.status == 403) {
    return common::PermissionDenied(context + "access denied (" + detail + ")");
  }
  if (response.status == 301 || response.status == 307) {
    return common::Unavailable(context + "bucket '" + options_.bucket +
                               "' must be addressed through another endpoint or region (" + detail +
                               ")");
  }
  if (response.status >= 500 || IsRetryableS3Code(code)) {
    return common::Unavailable(context + "S3 failed after " + std::to_string(retry_.max_attempts) +
                               " attempts (" + detail + ")");
  }
  // Any other 4xx: S3 refused a request we formed, which is a bug or an incompatible server.
  return common::Internal(context + "S3 rejected the request (" + detail + ")");
}

}  // namespace timestore::storage
