// partition-internal: JsonScalar from a simdjson DOM element, shared by the decoders of the
// stored column statistics and partition keys. Thread-safe.
#pragma once

#include <optional>

#include <simdjson.h>

#include "partition/json_scalar.h"

namespace timestore::partition {

// The scalar `value` holds; nothing for null, objects and arrays. `json` is simdjson's compact
// form of the value.
std::optional<JsonScalar> ScalarFromElement(simdjson::dom::element value);

}  // namespace timestore::partition
