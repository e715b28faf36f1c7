#include "storage/s3_object_store.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <random>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"
#include "common/time.h"
#include "storage/posix_file.h"
#include "storage/s3_client.h"
#include "storage/s3_xml.h"
#include "storage/sha256_hasher.h"

namespace timestore::storage {
namespace {

using common::Status;

constexpr std::string_view kMetaSha256Header = "x-amz-meta-sha256";
constexpr size_t kHashChunkBytes = 1 << 20;
constexpr int64_t kMaxParts = 10000;

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

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
                   TruncatedForStatus(options.endpoint) + "'");
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
  std::unique_ptr<S3ObjectStore> store(new S3ObjectStore(std::move(options), metrics));
  TS_ASSIGN_OR_RETURN(store->client_, S3Client::Open(store->options_, std::move(scheme),
                                                     std::move(authority), store->logger()));
  store->logger().Info("object store opened", observability::LogFields()
                                                  .Add("store", store->Describe())
                                                  .Add("endpoint", store->options_.endpoint));
  return store;
}

S3ObjectStore::S3ObjectStore(S3Options options, observability::MetricsRegistry* metrics)
    : ObjectStore(metrics != nullptr ? ObjectStoreMetrics(*metrics, "s3") : ObjectStoreMetrics(),
                  observability::GetLogger("storage.s3")),
      options_(std::move(options)) {}

S3ObjectStore::~S3ObjectStore() = default;

Status S3ObjectStore::CheckBucket() {
  S3Request request;
  request.query = {{"list-type", "2"}, {"max-keys", "0"}};
  if (!options_.prefix.empty()) request.query.emplace_back("prefix", options_.prefix);
  const std::string what = "check of " + Describe();
  TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(request, what));
  if (!response.ok()) return client_->ErrorStatus(response, what);
  return Status::Ok();
}

common::Result<std::optional<S3Response>> S3ObjectStore::Head(const std::string& bucket_key,
                                                              bool explain_not_found,
                                                              std::string_view what) {
  S3Request request;
  request.method = "HEAD";
  request.bucket_key = bucket_key;
  TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(request, what));
  if (response.ok()) return std::optional<S3Response>(std::move(response));
  if (response.status == 404 && !explain_not_found) return std::optional<S3Response>();
  if (response.status >= 400 && response.status < 500) {
    // A HEAD response has no body to say why; a bucket listing does (NoSuchBucket, bad
    // credentials). A 404 with a healthy bucket is a missing object.
    if (Status bucket = CheckBucket(); !bucket.ok()) {
      return bucket.WithContext(what);
    }
    if (response.status == 404) return std::optional<S3Response>();
  }
  return client_->ErrorStatus(response, what);
}

// ---- PutFile ------------------------------------------------------------------------------------

struct S3ObjectStore::UploadSource {
  int fd = -1;
  int64_t size = 0;
  int64_t part_bytes = 0;  // > 0 for a multipart upload
  std::string sha256;
  std::vector<std::string> part_sha256;  // one per part, in order (multipart only)
};

common::Result<S3ObjectStore::UploadSource> S3ObjectStore::HashForUpload(
    PosixFile& file, const std::string& local_path, int64_t size, int64_t part_bytes) {
  const bool multipart = part_bytes > 0;
  UploadSource upload;
  upload.fd = file.fd();
  upload.size = size;
  upload.part_bytes = part_bytes;
  Sha256Hasher whole;
  Sha256Hasher part;
  std::vector<char> buffer(kHashChunkBytes);
  int64_t offset = 0;
  int64_t part_left = part_bytes;
  while (offset < size) {
    size_t want = static_cast<size_t>(std::min<int64_t>(buffer.size(), size - offset));
    if (multipart) want = static_cast<size_t>(std::min<int64_t>(want, part_left));
    TS_ASSIGN_OR_RETURN(size_t n, file.Read(buffer.data(), want));
    if (n == 0) return common::Internal("source '" + local_path + "' shrank while being read");
    const std::string_view chunk(buffer.data(), n);
    whole.Update(chunk);
    offset += static_cast<int64_t>(n);
    if (!multipart) continue;
    part.Update(chunk);
    part_left -= static_cast<int64_t>(n);
    if (part_left == 0 || offset == size) {
      upload.part_sha256.push_back(part.FinishHex());
      part = Sha256Hasher();
      part_left = part_bytes;
    }
  }
  upload.sha256 = whole.FinishHex();
  return upload;
}

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
  int64_t part_bytes = 0;  // a single PUT
  if (size > options_.multipart_threshold_bytes) {
    part_bytes = std::max(options_.multipart_part_bytes, (size + kMaxParts - 1) / kMaxParts);
  }
  // One pass for the whole-file hash (stored as metadata, checked against the caller's) and the
  // hash of every part (each part's signed x-amz-content-sha256).
  TS_ASSIGN_OR_RETURN(UploadSource upload, HashForUpload(source, local_path, size, part_bytes));
  if (options.sha256_hex.has_value() &&
      !common::EqualsIgnoreCase(upload.sha256, *options.sha256_hex)) {
    return common::Internal("checksum mismatch for object '" + std::string(key) +
                            "': expected sha256 " + *options.sha256_hex + ", the bytes hash to " +
                            upload.sha256);
  }

  TS_ASSIGN_OR_RETURN(std::optional<S3Response> existing,
                      Head(bucket_key, /*explain_not_found=*/false, what));
  if (existing.has_value()) {
    return common::AlreadyExists("object '" + std::string(key) + "' already exists");
  }

  Status uploaded = part_bytes > 0 ? UploadMultipart(bucket_key, upload, what)
                                   : UploadSingle(bucket_key, upload, what);
  if (uploaded.ok()) uploaded = VerifyUploaded(bucket_key, size, upload.sha256, what);
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

Status S3ObjectStore::UploadSingle(const std::string& bucket_key, const UploadSource& source,
                                   std::string_view what) {
  S3Request request;
  request.method = "PUT";
  request.bucket_key = bucket_key;
  request.upload_fd = source.fd;
  request.upload_length = source.size;
  request.payload_sha256 = source.sha256;
  request.headers = {std::string(kMetaSha256Header) + ": " + source.sha256,
                     "Content-Type: application/octet-stream"};
  TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(request, what));
  if (!response.ok()) return client_->ErrorStatus(response, what);
  if (response.uploaded_sha256 != source.sha256) {
    return common::Internal(std::string(what) + ": the source file changed during the upload");
  }
  return Status::Ok();
}

Status S3ObjectStore::UploadMultipart(const std::string& bucket_key, const UploadSource& source,
                                      std::string_view what) {
  S3Request create;
  create.method = "POST";
  create.bucket_key = bucket_key;
  create.query = {{"uploads", ""}};
  create.headers = {std::string(kMetaSha256Header) + ": " + source.sha256,
                    "Content-Type: application/octet-stream"};
  TS_ASSIGN_OR_RETURN(S3Response created, client_->Send(create, what));
  if (!created.ok()) return client_->ErrorStatus(created, what);
  const std::string upload_id = ParseUploadId(created.body);
  if (upload_id.empty()) {
    return common::Internal(std::string(what) + ": CreateMultipartUpload returned no UploadId");
  }
  Status status = UploadParts(bucket_key, upload_id, source, what);
  if (!status.ok()) {
    S3Request abort;
    abort.method = "DELETE";
    abort.bucket_key = bucket_key;
    abort.query = {{"uploadId", upload_id}};
    auto aborted = client_->Send(abort, what);
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

Status S3ObjectStore::UploadParts(const std::string& bucket_key, const std::string& upload_id,
                                  const UploadSource& source, std::string_view what) {
  std::vector<std::string> etags;
  for (size_t i = 0; i < source.part_sha256.size(); ++i) {
    S3Request put;
    put.method = "PUT";
    put.bucket_key = bucket_key;
    put.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}};
    put.upload_fd = source.fd;
    put.upload_offset = static_cast<int64_t>(i) * source.part_bytes;
    put.upload_length = std::min(source.part_bytes, source.size - put.upload_offset);
    put.payload_sha256 = source.part_sha256[i];
    TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(put, what));
    if (!response.ok()) return client_->ErrorStatus(response, what);
    if (response.uploaded_sha256 != put.payload_sha256) {
      return common::Internal(std::string(what) + ": the source file changed during the upload");
    }
    std::optional<std::string> etag = response.Header("etag");
    if (!etag.has_value() || etag->empty()) {
      return common::Internal(std::string(what) + ": UploadPart returned no ETag");
    }
    etags.push_back(std::move(*etag));
  }

  S3Request finish;
  finish.method = "POST";
  finish.bucket_key = bucket_key;
  finish.query = {{"uploadId", upload_id}};
  finish.headers = {"Content-Type: application/xml"};
  finish.body = BuildCompleteMultipartUpload(etags);
  TS_ASSIGN_OR_RETURN(S3Response finished, client_->Send(finish, what));
  // A 200 may still carry an <Error> body. NoSuchUpload after a retry means that an earlier
  // attempt completed; VerifyUploaded decides.
  const bool error_body = HasS3ErrorElement(finished.body);
  if (finished.ok() && !error_body) return Status::Ok();
  if (ParseS3Error(finished.body).code == "NoSuchUpload") return Status::Ok();
  if (finished.ok()) finished.status = 500;  // an <Error> body in a 200
  return client_->ErrorStatus(finished, what);
}

Status S3ObjectStore::VerifyUploaded(const std::string& bucket_key, int64_t size,
                                     const std::string& sha256_hex, std::string_view what) {
  TS_ASSIGN_OR_RETURN(std::optional<S3Response> head,
                      Head(bucket_key, /*explain_not_found=*/true, what));
  if (!head.has_value()) {
    return common::Internal(std::string(what) + ": the object is missing after the upload");
  }
  const std::optional<int64_t> stored_size =
      ParseS3Size(head->Header("content-length").value_or(""));
  if (stored_size != size) {
    return common::Internal(std::string(what) + ": the stored object has " +
                            head->Header("content-length").value_or("no") +
                            " bytes, the source has " + std::to_string(size));
  }
  const std::string stored_sha = head->Header(kMetaSha256Header).value_or("");
  if (!common::EqualsIgnoreCase(stored_sha, sha256_hex)) {
    return common::Internal(std::string(what) + ": the stored object's sha256 metadata is '" +
                            TruncatedForStatus(stored_sha) + "', expected " + sha256_hex);
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

  S3Request request;
  request.bucket_key = BucketKey(key);
  request.download_fd = temp.fd();
  TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(request, what));
  if (!response.ok()) {
    if (response.status == 404 && ParseS3Error(response.body).code != "NoSuchBucket") {
      return common::NotFound("object '" + std::string(key) + "' does not exist in " + Describe());
    }
    return client_->ErrorStatus(response, what);
  }
  if (std::optional<std::string> stored = response.Header(kMetaSha256Header);
      stored.has_value() && !common::EqualsIgnoreCase(*stored, response.downloaded_sha256)) {
    return common::Internal("checksum mismatch for object '" + std::string(key) + "' in " +
                            Describe() + ": its metadata says sha256 " +
                            TruncatedForStatus(*stored) + ", the downloaded bytes hash to " +
                            response.downloaded_sha256);
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
  S3Request request;
  request.method = "DELETE";
  request.bucket_key = bucket_key;
  TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(request, what));
  if (response.ok()) return Status::Ok();
  if (response.status == 404 && ParseS3Error(response.body).code != "NoSuchBucket") {
    return Status::Ok();
  }
  return client_->ErrorStatus(response, what);
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
    S3Request request;
    request.query = {{"list-type", "2"}, {"max-keys", std::to_string(options_.max_keys_per_page)}};
    if (!bucket_prefix.empty()) request.query.emplace_back("prefix", bucket_prefix);
    if (!token.empty()) request.query.emplace_back("continuation-token", token);
    TS_ASSIGN_OR_RETURN(S3Response response, client_->Send(request, what));
    if (!response.ok()) return client_->ErrorStatus(response, what);

    S3ListPage page = ParseListObjectsV2(response.body);
    for (S3ListedObject& object : page.objects) {
      if (!object.key.starts_with(options_.prefix)) continue;
      object.key.erase(0, options_.prefix.size());
      if (!ValidateObjectKey(object.key).ok()) continue;  // not written by a store (or reserved)
      ObjectInfo info;
      info.key = std::move(object.key);
      info.size_bytes = object.size_bytes;
      info.modified_at = object.modified_at;
      out.push_back(std::move(info));
    }
    if (!page.truncated) break;
    token = std::move(page.next_continuation_token);
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
  TS_ASSIGN_OR_RETURN(std::optional<S3Response> head,
                      Head(BucketKey(key), /*explain_not_found=*/true, what));
  if (!head.has_value()) return std::optional<ObjectInfo>();
  ObjectInfo info;
  info.key = std::string(key);
  info.size_bytes = ParseS3Size(head->Header("content-length").value_or("")).value_or(0);
  if (std::optional<std::string> modified = head->Header("last-modified")) {
    info.modified_at = ParseHttpDate(*modified).value_or(0);
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
