// ValueOrDie: the value of a Result in a test's set-up step, or the test binary aborts with the
// Status (for steps whose failure makes the rest of the test meaningless).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace timestore::testing {

template <typename T>
T ValueOrDie(common::Result<T> result, std::string_view what) {
  if (!result.ok()) {
    std::fprintf(stderr, "%.*s failed: %s\n", static_cast<int>(what.size()), what.data(),
                 result.status().ToString().c_str());
    std::abort();
  }
  return std::move(result).value();
}

}  // namespace timestore::testing
