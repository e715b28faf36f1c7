// ThrowawayS3: a temporary S3-compatible server (@20minutes/s3rver, which verifies SigV4 with the
// credentials S3RVER/S3RVER) started and stopped with scripts/s3_tmp.sh on a free loopback port,
// with its bucket created at start. Owns the server: Stop() or the destructor kills it and removes
// its data, and so does the CleanupRegistry when the benchmark is interrupted. Move-only; one
// thread at a time.
#pragma once

#include <string>

#include "common/status.h"
#include "harness/cleanup_registry.h"
#include "harness/throwaway_service.h"

namespace timestore::harness {

class ThrowawayS3 {
 public:
  static constexpr const char* kAccessKeyId = "S3RVER";
  static constexpr const char* kSecretAccessKey = "S3RVER";

  // Runs `s3_tmp.sh start <state_file>`; the script's output goes to `log_path`. `cleanup` may be
  // null.
  static common::Result<ThrowawayS3> Start(const std::string& script, const std::string& state_file,
                                           const std::string& log_path, CleanupRegistry* cleanup) {
    TS_ASSIGN_OR_RETURN(ThrowawayService service,
                        ThrowawayService::Start(script, state_file, log_path, cleanup));
    TS_ASSIGN_OR_RETURN(std::string endpoint, service.Export("TIMESTORE_S3_ENDPOINT"));
    TS_ASSIGN_OR_RETURN(std::string bucket, service.Export("TIMESTORE_S3_BUCKET"));
    return ThrowawayS3(std::move(service), std::move(endpoint), std::move(bucket));
  }

  const std::string& endpoint() const { return endpoint_; }  // http://127.0.0.1:<port>
  const std::string& bucket() const { return bucket_; }      // exists

  // Runs `s3_tmp.sh stop <state_file>`. Idempotent; kInternal when the script fails.
  common::Status Stop() { return service_.Stop(); }

 private:
  ThrowawayS3(ThrowawayService service, std::string endpoint, std::string bucket)
      : service_(std::move(service)), endpoint_(std::move(endpoint)), bucket_(std::move(bucket)) {}

  ThrowawayService service_;
  std::string endpoint_;
  std::string bucket_;
};

}  // namespace timestore::harness
