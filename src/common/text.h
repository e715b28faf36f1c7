// Small, allocation-light text functions shared by every layer (ASCII only; no locale).
#pragma once

#include <string>
#include <string_view>

namespace timestore::common {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLowerAscii(std::string_view s);
std::string_view TrimWhitespace(std::string_view s);

}  // namespace timestore::common
