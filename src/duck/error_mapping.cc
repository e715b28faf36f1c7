#include "duck/error_mapping.h"

#include <array>
#include <string>
#include <utility>

#include <duckdb.h>

namespace timestore::duck {
namespace {

using common::StatusCode;

// DuckDB writes "<name> Error: <text>" for every error; the names are its exception type names.
constexpr std::array<std::pair<std::string_view, duckdb_error_type>, 41> kMessagePrefixes{{
    {"Out of Range", DUCKDB_ERROR_OUT_OF_RANGE},
    {"Conversion", DUCKDB_ERROR_CONVERSION},
    {"Unknown Type", DUCKDB_ERROR_UNKNOWN_TYPE},
    {"Decimal", DUCKDB_ERROR_DECIMAL},
    {"Mismatch Type", DUCKDB_ERROR_MISMATCH_TYPE},
    {"Divide by Zero", DUCKDB_ERROR_DIVIDE_BY_ZERO},
    {"Object Size", DUCKDB_ERROR_OBJECT_SIZE},
    {"Invalid type", DUCKDB_ERROR_INVALID_TYPE},
    {"Serialization", DUCKDB_ERROR_SERIALIZATION},
    {"TransactionContext", DUCKDB_ERROR_TRANSACTION},
    {"Not implemented", DUCKDB_ERROR_NOT_IMPLEMENTED},
    {"Expression", DUCKDB_ERROR_EXPRESSION},
    {"Catalog", DUCKDB_ERROR_CATALOG},
    {"Parser", DUCKDB_ERROR_PARSER},
    {"Planner", DUCKDB_ERROR_PLANNER},
    {"Scheduler", DUCKDB_ERROR_SCHEDULER},
    {"Executor", DUCKDB_ERROR_EXECUTOR},
    {"Constraint", DUCKDB_ERROR_CONSTRAINT},
    {"Index", DUCKDB_ERROR_INDEX},
    {"Stat", DUCKDB_ERROR_STAT},
    {"Connection", DUCKDB_ERROR_CONNECTION},
    {"Syntax", DUCKDB_ERROR_SYNTAX},
    {"Settings", DUCKDB_ERROR_SETTINGS},
    {"Binder", DUCKDB_ERROR_BINDER},
    {"Network", DUCKDB_ERROR_NETWORK},
    {"Optimizer", DUCKDB_ERROR_OPTIMIZER},
    {"NullPointer", DUCKDB_ERROR_NULL_POINTER},
    {"IO", DUCKDB_ERROR_IO},
    {"INTERRUPT", DUCKDB_ERROR_INTERRUPT},
    {"FATAL", DUCKDB_ERROR_FATAL},
    {"INTERNAL", DUCKDB_ERROR_INTERNAL},
    {"Invalid Input", DUCKDB_ERROR_INVALID_INPUT},
    {"Out of Memory", DUCKDB_ERROR_OUT_OF_MEMORY},
    {"Permission", DUCKDB_ERROR_PERMISSION},
    {"Parameter Not Resolved", DUCKDB_ERROR_PARAMETER_NOT_RESOLVED},
    {"Parameter Not Allowed", DUCKDB_ERROR_PARAMETER_NOT_ALLOWED},
    {"Dependency", DUCKDB_ERROR_DEPENDENCY},
    {"HTTP", DUCKDB_ERROR_HTTP},
    {"Missing Extension", DUCKDB_ERROR_MISSING_EXTENSION},
    {"Extension Autoloading", DUCKDB_ERROR_AUTOLOAD},
    {"Sequence", DUCKDB_ERROR_SEQUENCE},
}};

// "Invalid Configuration Error" has no C API error type (DuckDB 1.4); it is a bad option value.
constexpr std::string_view kInvalidConfigurationPrefix = "Invalid Configuration Error: ";

duckdb_error_type TypeFromMessage(std::string_view message) {
  for (const auto& [name, type] : kMessagePrefixes) {
    if (message.size() > name.size() && message.substr(0, name.size()) == name &&
        message.substr(name.size()).starts_with(" Error: ")) {
      return type;
    }
  }
  return DUCKDB_ERROR_INVALID;
}

StatusCode CodeForType(duckdb_error_type type) {
  switch (type) {
    case DUCKDB_ERROR_OUT_OF_RANGE:
    case DUCKDB_ERROR_CONVERSION:
    case DUCKDB_ERROR_UNKNOWN_TYPE:
    case DUCKDB_ERROR_DECIMAL:
    case DUCKDB_ERROR_MISMATCH_TYPE:
    case DUCKDB_ERROR_DIVIDE_BY_ZERO:
    case DUCKDB_ERROR_OBJECT_SIZE:
    case DUCKDB_ERROR_INVALID_TYPE:
    case DUCKDB_ERROR_NOT_IMPLEMENTED:
    case DUCKDB_ERROR_EXPRESSION:
    case DUCKDB_ERROR_CATALOG:
    case DUCKDB_ERROR_PARSER:
    case DUCKDB_ERROR_PLANNER:
    case DUCKDB_ERROR_SYNTAX:
    case DUCKDB_ERROR_SETTINGS:
    case DUCKDB_ERROR_BINDER:
    case DUCKDB_ERROR_INVALID_INPUT:
    case DUCKDB_ERROR_PARAMETER_NOT_RESOLVED:
    case DUCKDB_ERROR_PARAMETER_NOT_ALLOWED:
    case DUCKDB_ERROR_MISSING_EXTENSION:
    case DUCKDB_ERROR_AUTOLOAD:
    case DUCKDB_ERROR_SEQUENCE:
      return StatusCode::kInvalidArgument;
    case DUCKDB_ERROR_INTERRUPT:
      return StatusCode::kDeadlineExceeded;
    case DUCKDB_ERROR_PERMISSION:
      return StatusCode::kPermissionDenied;
    case DUCKDB_ERROR_CONSTRAINT:
    case DUCKDB_ERROR_TRANSACTION:
    case DUCKDB_ERROR_DEPENDENCY:
      return StatusCode::kConflict;
    case DUCKDB_ERROR_OUT_OF_MEMORY:
      return StatusCode::kResourceExhausted;
    case DUCKDB_ERROR_NETWORK:
    case DUCKDB_ERROR_HTTP:
      return StatusCode::kUnavailable;
    default:
      return StatusCode::kInternal;
  }
}

}  // namespace

common::Status StatusFromDuckDbError(int error_type, std::string_view message) {
  auto type = static_cast<duckdb_error_type>(error_type);
  if (type == DUCKDB_ERROR_INVALID) type = TypeFromMessage(message);
  std::string text(message.empty() ? std::string_view("DuckDB reported an error without a message")
                                   : message);
  StatusCode code = CodeForType(type);
  if (type == DUCKDB_ERROR_INVALID && message.starts_with(kInvalidConfigurationPrefix)) {
    code = StatusCode::kInvalidArgument;
  }
  // Another process holds the database file (POSIX lock): retryable once it lets go.
  if (type == DUCKDB_ERROR_IO && message.find("Could not set lock on file") != std::string::npos) {
    code = StatusCode::kUnavailable;
  }
  return {code, std::move(text)};
}

}  // namespace timestore::duck
