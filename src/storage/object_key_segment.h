// The pieces object keys of partition files are made of (ingest's scheme, which compaction and
// export follow): `<slug>/<key>=<value>/.../window=<YYYYMMDDTHHMMSSZ>/<id>.<ext>`. Pure functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/time.h"

namespace timestore::storage {

// `s` as one key segment: [A-Za-z0-9._-] kept, every other byte percent-encoded (%XX).
std::string EncodeKeySegment(std::string_view s);

// An instant as a compact UTC key segment, to the second: "20240101T000000Z".
std::string CompactTimeSegment(common::UnixMicros t);

}  // namespace timestore::storage
