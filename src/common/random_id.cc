#include "common/random_id.h"

#include <random>

namespace timestore::common {

std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::mt19937_64 generator{[] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device(),
                       device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }()};
  std::string out;
  out.reserve(bytes * 2);
  uint64_t word = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if (i % 8 == 0) word = generator();
    const auto byte = static_cast<unsigned>(word & 0xFF);
    word >>= 8;
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xF]);
  }
  return out;
}

std::string RandomId(std::string_view prefix) { return std::string(prefix) + RandomHex(16); }

}  // namespace timestore::common
