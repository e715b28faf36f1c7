# Fetches DuckDB's shared library and its matching C header from pinned npm packages (no other
# registry is reachable) and verifies both tarballs by SHA-512 before use. Defines duckdb::duckdb.
set(DUCKDB_VERSION    "1.4.4")
set(DUCKDB_LIB_SPEC   "@duckdb/node-bindings-linux-x64@1.4.4-r.4")
set(DUCKDB_LIB_SHA512 "8c14cbfd6bdfc312d3a056bfa551df4fa7a532d96d2469dcdf04aec590fd39f325b62b7d614755152dfbbc1150cd7313d59f0e5a3b528cc87eccf2b13b01cb1c")
set(DUCKDB_HDR_SPEC   "duckdb@1.4.4")
set(DUCKDB_HDR_SHA512 "844249e61c9517454b8f776638ba6c5ab411d1bddde1892ab72826ea25178c72430e74aa83f5122b171be6abcdace84560f824b5ac94e9d5c2b603ea7269a9a2")
set(DUCKDB_ROOT "${PROJECT_SOURCE_DIR}/third_party/duckdb-${DUCKDB_VERSION}" CACHE PATH
    "Directory holding lib/libduckdb.so and include/duckdb.h (fetched when missing)")

function(timestore_fetch_npm_member spec sha512 member dest)
  if(EXISTS "${dest}")
    return()
  endif()
  find_program(NPM_EXECUTABLE npm REQUIRED)
  set(work "${DUCKDB_ROOT}/_download")
  file(REMOVE_RECURSE "${work}")
  file(MAKE_DIRECTORY "${work}")  # npm pack exits 254 silently when the destination is missing
  execute_process(
    COMMAND "${NPM_EXECUTABLE}" pack "${spec}" --pack-destination "${work}" --silent
    WORKING_DIRECTORY "${work}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE tgz ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT EXISTS "${work}/${tgz}")
    message(FATAL_ERROR "npm pack ${spec} failed (${rc}): ${err}")
  endif()
  file(SHA512 "${work}/${tgz}" got)
  if(NOT got STREQUAL sha512)
    message(FATAL_ERROR "SHA-512 mismatch for ${spec}: got ${got}")
  endif()
  file(ARCHIVE_EXTRACT INPUT "${work}/${tgz}" DESTINATION "${work}/x" PATTERNS "${member}")
  get_filename_component(dest_dir "${dest}" DIRECTORY)
  file(MAKE_DIRECTORY "${dest_dir}")
  file(RENAME "${work}/x/${member}" "${dest}")
  file(REMOVE_RECURSE "${work}")
endfunction()

timestore_fetch_npm_member("${DUCKDB_HDR_SPEC}" "${DUCKDB_HDR_SHA512}"
  "package/src/duckdb/src/include/duckdb.h" "${DUCKDB_ROOT}/include/duckdb.h")
timestore_fetch_npm_member("${DUCKDB_LIB_SPEC}" "${DUCKDB_LIB_SHA512}"
  "package/libduckdb.so" "${DUCKDB_ROOT}/lib/libduckdb.so")

add_library(duckdb::duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb::duckdb PROPERTIES
  IMPORTED_LOCATION "${DUCKDB_ROOT}/lib/libduckdb.so"
  IMPORTED_SONAME "libduckdb.so"
  INTERFACE_INCLUDE_DIRECTORIES "${DUCKDB_ROOT}/include")
