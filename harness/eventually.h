// Eventually: the one condition poll of the tests and benchmarks, for waiting on another thread or
// process (a server becoming ready, a child exiting, a file appearing) instead of a fixed sleep.
// Stateless and thread-safe.
#pragma once

#include <chrono>
#include <functional>

namespace timestore::harness {

// Calls `condition` until it returns true (then true) or `timeout` has passed on the steady clock
// (then false, after one last call). The first call is immediate; later ones follow pauses that
// grow from 1 ms to `max_interval`, so a condition that turns true quickly costs little wall time.
// `condition` runs on the calling thread.
bool Eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds max_interval = std::chrono::milliseconds(20));

}  // namespace timestore::harness
