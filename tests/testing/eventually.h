// Eventually for tests: the harness's condition poll (harness/eventually.h), named in the tests'
// namespace. Use it where a test waits for another thread or process; use a FakeClock where the
// code under test reads a common::Clock.
#pragma once

#include "harness/eventually.h"

namespace timestore::testing {

using harness::Eventually;

}  // namespace timestore::testing
