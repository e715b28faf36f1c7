// UseTestBucket: storage settings for the S3 server of ctest's "services" fixture. Header-only so
// timestore_testing itself stays free of the config module; tests that call it link config already.
#pragma once

#include <string>
#include <string_view>

#include "config/service_config.h"
#include "testing/test_env.h"

namespace timestore::testing {

// Points `storage` at the test server's bucket, under a prefix of its own
// ("<prefix_name>_<unique>/"), with the server's credentials.
inline void UseTestBucket(config::StorageConfig& storage, std::string_view prefix_name) {
  storage.driver = config::StorageDriver::kS3;
  storage.s3_bucket = "timestore-test";
  storage.s3_endpoint = S3Endpoint();
  storage.s3_prefix = UniqueName(prefix_name) + "/";
  storage.s3_access_key_id = "S3RVER";
  storage.s3_secret_access_key = "S3RVER";
}

}  // namespace timestore::testing
