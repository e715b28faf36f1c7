// Random identifiers for names that must never collide (object keys, temp files, lease owners).
// Thread-safe: each thread has its own generator seeded from std::random_device.
#pragma once

#include <string>
#include <string_view>

namespace timestore::common {

// `bytes` random bytes as lowercase hex (2 * bytes characters).
std::string RandomHex(size_t bytes);

// "<prefix><32 hex digits>", e.g. RandomId("part-").
std::string RandomId(std::string_view prefix);

}  // namespace timestore::common
