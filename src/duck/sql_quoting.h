// The one place DuckDB SQL text is quoted. Identifiers and literals built from user input (column
// names, file paths) go through these functions; values go through prepared statements or the
// appender instead. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace timestore::duck {

// "name" with inner double quotes doubled; safe for any column, table or alias name.
std::string QuoteIdent(std::string_view ident);

// 'text' with inner single quotes doubled (DuckDB standard strings have no backslash escapes); for
// places that take no parameter, such as COPY ... TO and ATTACH paths.
std::string QuoteLiteral(std::string_view text);

}  // namespace timestore::duck
