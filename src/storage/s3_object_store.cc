#include "storage/s3_object_store.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"
#include "common/time.h"
#include "storage/posix_file.h"
#include "storage/sha256_hasher.h"

namespace timestore::storage {
namespace {

using common::Status;
using Op = ObjectStoreMetrics::Op;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr std::string_view kMetaSha256Header = "x-amz-meta-sha256";
constexpr size_t kHashChunkBytes = 1 << 20;
constexpr size_t kMaxErrorBodyBytes = 64 << 10;
constexpr size_t kMaxMessageBytes = 300;
constexpr int64_t kMaxParts = 10000;
constexpr std::chrono::milliseconds kMaxRetryDelay{2000};
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

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// The text of the first <tag>...</tag> in `xml`, still XML-escaped; "" when absent or empty.
std::string_view XmlText(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const size_t start = xml.find(open);
  if (start == std::string_view::npos) return {};
  const size_t begin = start + open.size();
  const size_t end = xml.find("</" + std::string(tag) + ">", begin);
  if (end == std::string_view::npos) return {};
  return xml.substr(begin, end - begin);
}

// Replaces the five predefined entities and numeric character references with their UTF-8 text.
std::string XmlUnescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out.push_back('&');
      continue;
    }
    const std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string digits(entity.substr(hex ? 2 : 1));
      char* end = nullptr;
      const unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
      if (digits.empty() || *end != '\0' || cp > 0x10FFFF) {
        out.append(text.substr(i, semi - i + 1));
      } else if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      out.append(text.substr(i, semi - i + 1));
    }
    i = semi;
  }
  return out;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::optional<int64_t> ParseInt64(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::string Truncated(std::string_view text) {
  return std::string(text.substr(0, kMaxMessageBytes));
}

// S3 error codes that mean "try again later" whatever the HTTP status.
bool IsRetryableCode(std::string_view code) {
  return code == "SlowDown" || code == "InternalError" || code == "RequestTimeout" ||
         code == "ServiceUnavailable";
}

bool IsRetryableHttpStatus(long status) {
  return status == 500 || status == 502 || status == 503 || status == 504;
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

}  // namespace

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

// ---- HTTP exchange ------------------------------------------------------------------------------

struct S3ObjectStore::Request {
  const char* method = "GET";  // GET, HEAD, PUT, POST or DELETE
  std::string bucket_key;      // "" addresses the bucket itself
  QueryParams query;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // in-memory body (POST), unless upload_fd is set
  // PUT body streamed from bytes [upload_offset, upload_offset + upload_length) of upload_fd.
  int upload_fd = -1;
  int64_t upload_offset = 0;
  int64_t upload_length = 0;
  std::string payload_sha256;  // hex SHA-256 of the body; computed from `body` when empty
  // When set, a 2xx body is written to this file (truncated at each attempt) instead of `body`.
  int download_fd = -1;
};

struct S3ObjectStore::Response {
  long status = 0;
  std::string body;  // the body (capped) unless it went to download_fd
  std::vector<std::pair<std::string, std::string>> headers;  // names in lowercase
  std::string uploaded_sha256;    // of the bytes read from upload_fd by the last attempt
  std::string downloaded_sha256;  // of the bytes written to download_fd
  int64_t downloaded_bytes = 0;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return std::nullopt;
  }
  bool ok() const { return status >= 200 && status < 300; }
};

class S3ObjectStore::HandlePool {
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

namespace {

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

}  // namespace

// ---- The store ----------------------------------------------------------------------------------

common::Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(
    S3Options options, observability::MetricsRegistry* metrics) {
  auto invalid = [](std::string_view what) {
    return common::InvalidArgument("S3 storage options: " + std::string(what));
  };
  if (options.bucket.empty()) return invalid("bucket is empty");
  if (options.region.empty()) return invalid("region is empty");
  if (options.access_key_id.empty() || options.secret_access_key.empty()) {
    return invalid("access_key_id and secret_access_key are required");
  }
  if (options.endpoint.empty()) {
    options.endpoint = "https://s3." + options.region + ".amazonaws.com";
  }
  while (options.endpoint.ends_with('/')) options.endpoint.pop_back();
  std::string scheme;
  std::string authority;
  for (std::string_view candidate : {"http", "https"}) {
    const std::string lead = std::string(candidate) + "://";
    if (options.endpoint.starts_with(lead)) {
      scheme = candidate;
      authority = options.endpoint.substr(lead.size());
    }
  }
  if (scheme.empty() || authority.empty() ||
      authority.find_first_of("/?#@ ") != std::string::npos) {
    return invalid("endpoint must be http(s)://host[:port] without a path, got '" +
                   Truncated(options.endpoint) + "'");
  }
  while (options.prefix.starts_with('/')) options.prefix.erase(0, 1);
  if (!options.prefix.empty()) {
    if (!options.prefix.ends_with('/')) options.prefix.push_back('/');
    Status valid =
        ValidateObjectKey(std::string_view(options.prefix).substr(0, options.prefix.size() - 1));
    if (!valid.ok()) return invalid("prefix: " + valid.message());
  }
  if (options.multipart_part_bytes < 1) return invalid("multipart_part_bytes must be positive");
  if (options.multipart_threshold_bytes < 0) {
    return invalid("multipart_threshold_bytes must not be negative");
  }
  if (options.max_attempts < 1) return invalid("max_attempts must be at least 1");
  if (options.max_keys_per_page < 1 || options.max_keys_per_page > 1000) {
    return invalid("max_keys_per_page must be within 1..1000");
  }
  if (options.staging_dir.empty()) {
    std::error_code ec;
    const auto tmp = std::filesystem::temp_directory_path(ec);
    options.staging_dir = ((ec ? std::filesystem::path("/tmp") : tmp) / "timestore-s3-staging");
  }
  TS_RETURN_IF_ERROR(InitCurlOnce());

  std::unique_ptr<S3ObjectStore> store(new S3ObjectStore(std::move(options), metrics));
  store->scheme_ = std::move(scheme);
  store->authority_ = std::move(authority);
  store->logger().Info("object store opened", observability::LogFields()
                                                  .Add("store", store->Describe())
                                                  .Add("endpoint", store->options_.endpoint));
  return store;
}

S3ObjectStore::S3ObjectStore(S3Options options, observability::MetricsRegistry* metrics)
    : ObjectStore(metrics != nullptr ? ObjectStoreMetrics(*metrics, "s3") : ObjectStoreMetrics(),
                  observability::GetLogger("storage.s3")),
      options_(std::move(options)),
      sigv4_("aws:amz:" + options_.region + ":s3"),
      pool_(std::make_unique<HandlePool>()) {}

S3ObjectStore::~S3ObjectStore() = default;

std::string S3ObjectStore::UrlFor(const std::string& bucket_key, const std::string& query) const {
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

common::Result<S3ObjectStore::Response> S3ObjectStore::Send(Request& request,
                                                            std::string_view what) {
  if (request.payload_sha256.empty()) {
    request.payload_sha256 =
        request.body.empty() ? std::string(kEmptySha256) : Sha256Hex(request.body);
  }
  const std::string url = UrlFor(request.bucket_key, CanonicalQueryString(request.query));
  const std::string method = request.method;

  CurlPtr curl = pool_->Take();
  if (curl == nullptr) return common::Internal("curl_easy_init failed");
  struct Lease {
    HandlePool* pool;
    CurlPtr* curl;
    ~Lease() { pool->Give(std::move(*curl)); }
  } lease{pool_.get(), &curl};

  std::string last_error;
  Response response;
  thread_local std::mt19937_64 rng(std::random_device{}());
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (attempt > 1) {
      const auto cap = std::min(kMaxRetryDelay, options_.retry_base_delay * (1 << (attempt - 2)));
      std::uniform_int_distribution<int64_t> jitter(cap.count() / 2, cap.count());
      std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
      curl_easy_reset(curl.get());
    }
    response = Response();
    Transfer t;
    t.curl = curl.get();
    t.body = &response.body;
    t.headers = &response.headers;
    t.download_fd = request.download_fd;
    if (request.download_fd >= 0) {
      if (::ftruncate(request.download_fd, 0) != 0) {
        return ErrnoStatus(errno, "cannot truncate download file for", what);
      }
      t.download_hasher.emplace();
    }

    SlistPtr headers;
    auto add_header = [&headers](const std::string& header) {
      curl_slist* next = curl_slist_append(headers.get(), header.c_str());
      if (next != nullptr) {
        (void)headers.release();
        headers.reset(next);
      }
    };
    add_header("x-amz-content-sha256: " + request.payload_sha256);
    if (!options_.session_token.empty()) {
      add_header("x-amz-security-token: " + options_.session_token);
    }
    for (const std::string& h : request.headers) add_header(h);

    char error_buffer[CURL_ERROR_SIZE] = {0};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4_.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.access_key_id.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.secret_access_key.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(
        c, CURLOPT_LOW_SPEED_TIME,
        static_cast<long>(std::max<int64_t>(1, (options_.low_speed_timeout.count() + 999) / 1000)));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &ReadHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
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
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    } else if (method != "GET") {
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method);
    }

    const CURLcode rc = curl_easy_perform(c);
    if (t.io_errno != 0) {
      return ErrnoStatus(t.io_errno, "local file I/O failed during S3 request for", what);
    }
    if (rc != CURLE_OK) {
      last_error = std::string(curl_easy_strerror(rc));
      if (error_buffer[0] != '\0') last_error += " (" + std::string(error_buffer) + ")";
      if (!IsRetryableCurlError(rc)) break;
      logger().Warn("S3 request failed, retrying" +
                        std::string(attempt < options_.max_attempts ? "" : " (last attempt)"),
                    observability::LogFields()
                        .Add("op", what)
                        .Add("attempt", attempt)
                        .Add("error", last_error));
      continue;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
    if (t.upload_hasher.has_value()) response.uploaded_sha256 = t.upload_hasher->FinishHex();
    if (t.download_hasher.has_value() && t.body_to_file.value_or(request.download_fd >= 0)) {
      response.downloaded_sha256 = t.download_hasher->FinishHex();
      response.downloaded_bytes = t.downloaded;
    }
    const std::string code(XmlText(response.body, "Code"));
    if ((IsRetryableHttpStatus(response.status) || IsRetryableCode(code)) &&
        attempt < options_.max_attempts) {
      logger().Warn("S3 request failed, retrying",
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

Status S3ObjectStore::ErrorStatus(const Response& response, std::string_view what) const {
  const std::string code = XmlUnescape(XmlText(response.body, "Code"));
  const std::string message = XmlUnescape(XmlText(response.body, "Message"));
  std::string detail = code.empty() ? std::string() : code;
  if (!message.empty()) detail += (detail.empty() ? "" : ": ") + Truncated(message);
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
  if (response.status >= 500 || IsRetryableCode(code)) {
    return common::Unavailable(context + "S3 failed after " +
                               std::to_string(options_.max_attempts) + " attempts (" + detail +
                               ")");
  }
  // Any other 4xx: S3 refused a request we formed, which is a bug or an incompatible server.
  return common::Internal(context + "S3 rejected the request (" + detail + ")");
}

Status S3ObjectStore::CheckBucket() {
  Request request;
  request.query = {{"list-type", "2"}, {"max-keys", "0"}};
  if (!options_.prefix.empty()) request.query.emplace_back("prefix", options_.prefix);
  const std::string what = "check of " + Describe();
  TS_ASSIGN_OR_RETURN(Response response, Send(request, what));
  if (!response.ok()) return ErrorStatus(response, what);
  return Status::Ok();
}

common::Result<std::optional<S3ObjectStore::Response>> S3ObjectStore::Head(
    const std::string& bucket_key, bool explain_not_found, std::string_view what) {
  Request request;
  request.method = "HEAD";
  request.bucket_key = bucket_key;
  TS_ASSIGN_OR_RETURN(Response response, Send(request, what));
  if (response.ok()) return std::optional<Response>(std::move(response));
  if (response.status == 404 && !explain_not_found) return std::optional<Response>();
  if (response.status >= 400 && response.status < 500) {
    // A HEAD response has no body to say why; a bucket listing does (NoSuchBucket, bad
    // credentials). A 404 with a healthy bucket is a missing object.
    if (Status bucket = CheckBucket(); !bucket.ok()) {
      return bucket.WithContext(what);
    }
    if (response.status == 404) return std::optional<Response>();
  }
  return ErrorStatus(response, what);
}

// ---- PutFile ------------------------------------------------------------------------------------

Status S3ObjectStore::DoPutFile(std::string_view key, const std::string& local_path,
                                const PutOptions& options, int64_t& bytes) {
  const std::string bucket_key = BucketKey(key);
  const std::string what = "put of '" + std::string(key) + "' to " + Describe();

  TS_ASSIGN_OR_RETURN(PosixFile source, PosixFile::Open(local_path, O_RDONLY));
  TS_ASSIGN_OR_RETURN(struct stat source_stat, source.Stat());
  if (!S_ISREG(source_stat.st_mode)) {
    return common::InvalidArgument("source '" + local_path + "' is not a regular file");
  }
  const int64_t size = source_stat.st_size;
  const bool multipart = size > options_.multipart_threshold_bytes;
  int64_t part_bytes = options_.multipart_part_bytes;
  if (multipart) part_bytes = std::max(part_bytes, (size + kMaxParts - 1) / kMaxParts);

  // One pass for the whole-file hash (stored as metadata, checked against the caller's) and the
  // hash of every part (each part's signed x-amz-content-sha256).
  Sha256Hasher whole;
  std::optional<Sha256Hasher> part;
  if (multipart) part.emplace();
  std::vector<std::string> part_sha256;
  {
    std::vector<char> buffer(kHashChunkBytes);
    int64_t offset = 0;
    int64_t part_left = part_bytes;
    while (offset < size) {
      size_t want = static_cast<size_t>(std::min<int64_t>(buffer.size(), size - offset));
      if (multipart) want = static_cast<size_t>(std::min<int64_t>(want, part_left));
      TS_ASSIGN_OR_RETURN(size_t n, source.Read(buffer.data(), want));
      if (n == 0) {
        return common::Internal("source '" + local_path + "' shrank while being read");
      }
      const std::string_view chunk(buffer.data(), n);
      whole.Update(chunk);
      offset += static_cast<int64_t>(n);
      if (multipart) {
        part->Update(chunk);
        part_left -= static_cast<int64_t>(n);
        if (part_left == 0 || offset == size) {
          part_sha256.push_back(part->FinishHex());
          part.emplace();
          part_left = part_bytes;
        }
      }
    }
  }
  const std::string sha256 = whole.FinishHex();
  if (options.sha256_hex.has_value() && !common::EqualsIgnoreCase(sha256, *options.sha256_hex)) {
    return common::Internal("checksum mismatch for object '" + std::string(key) +
                            "': expected sha256 " + *options.sha256_hex + ", the bytes hash to " +
                            sha256);
  }

  TS_ASSIGN_OR_RETURN(std::optional<Response> existing,
                      Head(bucket_key, /*explain_not_found=*/false, what));
  if (existing.has_value()) {
    return common::AlreadyExists("object '" + std::string(key) + "' already exists");
  }

  Status uploaded = multipart ? UploadMultipart(bucket_key, source.fd(), size, part_bytes, sha256,
                                                part_sha256, what)
                              : UploadSingle(bucket_key, source.fd(), size, sha256, what);
  if (uploaded.ok()) uploaded = VerifyUploaded(bucket_key, size, sha256, what);
  if (!uploaded.ok()) {
    // The key was absent and keys are never reused, so whatever is there now is our partial work.
    if (Status cleaned = DeleteBucketKey(bucket_key, what); !cleaned.ok()) {
      logger().Warn("cannot remove a failed upload",
                    observability::LogFields().Add("key", key).Add("error", cleaned.ToString()));
    }
    return uploaded;
  }
  (void)source.Close();
  if (options.move && ::unlink(local_path.c_str()) != 0 && errno != ENOENT) {
    logger().Warn("cannot remove a consumed source file",
                  observability::LogFields().Add("path", local_path).Add("errno", errno));
  }
  bytes = size;
  return Status::Ok();
}

Status S3ObjectStore::UploadSingle(const std::string& bucket_key, int fd, int64_t size,
                                   const std::string& sha256_hex, std::string_view what) {
  Request request;
  request.method = "PUT";
  request.bucket_key = bucket_key;
  request.upload_fd = fd;
  request.upload_length = size;
  request.payload_sha256 = sha256_hex;
  request.headers = {std::string(kMetaSha256Header) + ": " + sha256_hex,
                     "Content-Type: application/octet-stream"};
  TS_ASSIGN_OR_RETURN(Response response, Send(request, what));
  if (!response.ok()) return ErrorStatus(response, what);
  if (response.uploaded_sha256 != sha256_hex) {
    return common::Internal(std::string(what) + ": the source file changed during the upload");
  }
  return Status::Ok();
}

Status S3ObjectStore::UploadMultipart(const std::string& bucket_key, int fd, int64_t size,
                                      int64_t part_bytes, const std::string& sha256_hex,
                                      const std::vector<std::string>& part_sha256,
                                      std::string_view what) {
  Request create;
  create.method = "POST";
  create.bucket_key = bucket_key;
  create.query = {{"uploads", ""}};
  create.headers = {std::string(kMetaSha256Header) + ": " + sha256_hex,
                    "Content-Type: application/octet-stream"};
  TS_ASSIGN_OR_RETURN(Response created, Send(create, what));
  if (!created.ok()) return ErrorStatus(created, what);
  const std::string upload_id = XmlUnescape(XmlText(created.body, "UploadId"));
  if (upload_id.empty()) {
    return common::Internal(std::string(what) + ": CreateMultipartUpload returned no UploadId");
  }

  auto upload_parts = [&]() -> Status {
    const int64_t part_count = static_cast<int64_t>(part_sha256.size());
    std::string complete = "<CompleteMultipartUpload>";
    for (int64_t i = 0; i < part_count; ++i) {
      Request put;
      put.method = "PUT";
      put.bucket_key = bucket_key;
      put.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}};
      put.upload_fd = fd;
      put.upload_offset = i * part_bytes;
      put.upload_length = std::min(part_bytes, size - put.upload_offset);
      put.payload_sha256 = part_sha256[static_cast<size_t>(i)];
      TS_ASSIGN_OR_RETURN(Response response, Send(put, what));
      if (!response.ok()) return ErrorStatus(response, what);
      if (response.uploaded_sha256 != put.payload_sha256) {
        return common::Internal(std::string(what) + ": the source file changed during the upload");
      }
      std::optional<std::string> etag = response.Header("etag");
      if (!etag.has_value() || etag->empty()) {
        return common::Internal(std::string(what) + ": UploadPart returned no ETag");
      }
      complete += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                  XmlEscape(*etag) + "</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";

    Request finish;
    finish.method = "POST";
    finish.bucket_key = bucket_key;
    finish.query = {{"uploadId", upload_id}};
    finish.headers = {"Content-Type: application/xml"};
    finish.body = std::move(complete);
    TS_ASSIGN_OR_RETURN(Response finished, Send(finish, what));
    // A 200 may still carry an <Error> body. NoSuchUpload after a retry means that an earlier
    // attempt completed; VerifyUploaded decides.
    const bool error_body = finished.body.find("<Error>") != std::string::npos;
    if (finished.ok() && !error_body) return Status::Ok();
    if (XmlText(finished.body, "Code") == "NoSuchUpload") return Status::Ok();
    if (finished.ok()) finished.status = 500;  // an <Error> body in a 200
    return ErrorStatus(finished, what);
  };
  Status status = upload_parts();
  if (!status.ok()) {
    Request abort;
    abort.method = "DELETE";
    abort.bucket_key = bucket_key;
    abort.query = {{"uploadId", upload_id}};
    auto aborted = Send(abort, what);
    // Servers without AbortMultipartUpload answer 405 or 501; the parts then expire by the
    // bucket's lifecycle rules.
    if (!aborted.ok() || !(aborted->ok() || aborted->status == 404 || aborted->status == 405 ||
                           aborted->status == 501)) {
      logger().Warn("cannot abort a multipart upload",
                    observability::LogFields()
                        .Add("key", bucket_key)
                        .Add("status", aborted.ok() ? static_cast<int64_t>(aborted->status) : 0));
    }
  }
  return status;
}

Status S3ObjectStore::VerifyUploaded(const std::string& bucket_key, int64_t size,
                                     const std::string& sha256_hex, std::string_view what) {
  TS_ASSIGN_OR_RETURN(std::optional<Response> head,
                      Head(bucket_key, /*explain_not_found=*/true, what));
  if (!head.has_value()) {
    return common::Internal(std::string(what) + ": the object is missing after the upload");
  }
  const std::optional<int64_t> stored_size =
      ParseInt64(head->Header("content-length").value_or(""));
  if (stored_size != size) {
    return common::Internal(std::string(what) + ": the stored object has " +
                            head->Header("content-length").value_or("no") +
                            " bytes, the source has " + std::to_string(size));
  }
  const std::string stored_sha = head->Header(kMetaSha256Header).value_or("");
  if (!common::EqualsIgnoreCase(stored_sha, sha256_hex)) {
    return common::Internal(std::string(what) + ": the stored object's sha256 metadata is '" +
                            Truncated(stored_sha) + "', expected " + sha256_hex);
  }
  return Status::Ok();
}

// ---- GetFile, Delete, List, Stat ----------------------------------------------------------------

Status S3ObjectStore::DoGetFile(std::string_view key, const std::string& dest_path,
                                int64_t& bytes) {
  const std::string what = "get of '" + std::string(key) + "' from " + Describe();
  std::filesystem::path dest_dir = std::filesystem::path(dest_path).parent_path();
  if (dest_dir.empty()) dest_dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dest_dir, ec);
  if (ec) return ErrnoStatus(ec.value(), "cannot create directory", dest_dir.string());

  const std::string temp_path = dest_path + std::string(kReservedNamePrefix) + RandomHex();
  TS_ASSIGN_OR_RETURN(PosixFile temp, PosixFile::Open(temp_path, O_WRONLY | O_CREAT | O_EXCL));
  struct Guard {
    const std::string& path;
    bool armed = true;
    ~Guard() {
      if (armed) ::unlink(path.c_str());
    }
  } guard{temp_path};

  Request request;
  request.bucket_key = BucketKey(key);
  request.download_fd = temp.fd();
  TS_ASSIGN_OR_RETURN(Response response, Send(request, what));
  if (!response.ok()) {
    if (response.status == 404 && XmlText(response.body, "Code") != "NoSuchBucket") {
      return common::NotFound("object '" + std::string(key) + "' does not exist in " + Describe());
    }
    return ErrorStatus(response, what);
  }
  if (std::optional<std::string> stored = response.Header(kMetaSha256Header);
      stored.has_value() && !common::EqualsIgnoreCase(*stored, response.downloaded_sha256)) {
    return common::Internal("checksum mismatch for object '" + std::string(key) + "' in " +
                            Describe() + ": its metadata says sha256 " + Truncated(*stored) +
                            ", the downloaded bytes hash to " + response.downloaded_sha256);
  }
  TS_RETURN_IF_ERROR(temp.Sync());
  TS_RETURN_IF_ERROR(temp.Close());
  if (::rename(temp_path.c_str(), dest_path.c_str()) != 0) {
    return ErrnoStatus(errno, "cannot rename '" + temp_path + "' to", dest_path);
  }
  guard.armed = false;
  bytes = response.downloaded_bytes;
  return Status::Ok();
}

Status S3ObjectStore::DoDelete(std::string_view key) {
  return DeleteBucketKey(BucketKey(key), "delete of '" + std::string(key) + "' from " + Describe());
}

Status S3ObjectStore::DeleteBucketKey(const std::string& bucket_key, std::string_view what) {
  Request request;
  request.method = "DELETE";
  request.bucket_key = bucket_key;
  TS_ASSIGN_OR_RETURN(Response response, Send(request, what));
  if (response.ok()) return Status::Ok();
  if (response.status == 404 && XmlText(response.body, "Code") != "NoSuchBucket") {
    return Status::Ok();
  }
  return ErrorStatus(response, what);
}

common::Result<std::vector<ObjectInfo>> S3ObjectStore::DoList(std::string_view prefix) {
  if (prefix.starts_with('/') || prefix.find('\0') != std::string_view::npos ||
      prefix.find('\\') != std::string_view::npos) {
    return common::InvalidArgument("invalid list prefix '" + std::string(prefix.substr(0, 200)) +
                                   "': it starts with '/' or contains a NUL or a backslash");
  }
  const std::string what = "list of '" + std::string(prefix) + "' in " + Describe();
  const std::string bucket_prefix = BucketKey(prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  while (true) {
    Request request;
    request.query = {{"list-type", "2"}, {"max-keys", std::to_string(options_.max_keys_per_page)}};
    if (!bucket_prefix.empty()) request.query.emplace_back("prefix", bucket_prefix);
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    TS_ASSIGN_OR_RETURN(Response response, Send(request, what));
    if (!response.ok()) return ErrorStatus(response, what);

    std::string_view rest = response.body;
    while (true) {
      const size_t open = rest.find("<Contents>");
      if (open == std::string_view::npos) break;
      const size_t close = rest.find("</Contents>", open);
      if (close == std::string_view::npos) break;
      const std::string_view entry = rest.substr(open, close - open);
      rest.remove_prefix(close);
      std::string key = XmlUnescape(XmlText(entry, "Key"));
      if (!key.starts_with(options_.prefix)) continue;
      key.erase(0, options_.prefix.size());
      if (!ValidateObjectKey(key).ok()) continue;  // not written by a store (or reserved)
      ObjectInfo info;
      info.key = std::move(key);
      info.size_bytes = ParseInt64(XmlText(entry, "Size")).value_or(0);
      info.modified_at = common::ParseIso8601(XmlText(entry, "LastModified")).value_or(0);
      out.push_back(std::move(info));
    }
    token = XmlUnescape(XmlText(response.body, "NextContinuationToken"));
    if (XmlText(response.body, "IsTruncated") != "true") break;
    if (token.empty()) {
      return common::Internal(what + ": a truncated listing has no NextContinuationToken");
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

common::Result<std::optional<ObjectInfo>> S3ObjectStore::DoStat(std::string_view key) {
  const std::string what = "stat of '" + std::string(key) + "' in " + Describe();
  TS_ASSIGN_OR_RETURN(std::optional<Response> head,
                      Head(BucketKey(key), /*explain_not_found=*/true, what));
  if (!head.has_value()) return std::optional<ObjectInfo>();
  ObjectInfo info;
  info.key = std::string(key);
  info.size_bytes = ParseInt64(head->Header("content-length").value_or("")).value_or(0);
  if (std::optional<std::string> modified = head->Header("last-modified")) {
    const time_t seconds = curl_getdate(modified->c_str(), nullptr);
    if (seconds > 0) info.modified_at = static_cast<common::UnixMicros>(seconds) * 1'000'000;
  }
  return std::optional<ObjectInfo>(std::move(info));
}

std::optional<std::string> S3ObjectStore::LocalPath(std::string_view) const { return std::nullopt; }

std::string S3ObjectStore::StagingDirectory() const {
  // Created on demand; a failure surfaces when the caller creates its file.
  std::error_code ec;
  std::filesystem::create_directories(options_.staging_dir, ec);
  return options_.staging_dir;
}

std::string S3ObjectStore::Describe() const {
  std::string prefix = options_.prefix;
  if (prefix.ends_with('/')) prefix.pop_back();
  return "s3://" + options_.bucket + (prefix.empty() ? "" : "/" + prefix);
}

}  // namespace timestore::storage
