# timestore_module(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#   One src/<name>/ folder = one static library timestore_<name>, aliased timestore::<name>.
#   Include paths are rooted at src/, so code includes "<module>/<file>.h".
function(timestore_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(timestore_${name} STATIC ${M_SOURCES})
  add_library(timestore::${name} ALIAS timestore_${name})
  target_include_directories(timestore_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(timestore_${name} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS} timestore_warnings)
endfunction()

# timestore_test(<name> SOURCES ... DEPS ...)
#   One gtest binary per tests/<module>/ folder; each test case becomes a ctest test that needs the
#   shared "services" fixture (throwaway PostgreSQL and S3 server, started once per ctest run).
function(timestore_test name)
  cmake_parse_arguments(T "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name}_tests ${T_SOURCES})
  target_link_libraries(${name}_tests PRIVATE ${T_DEPS} timestore::testing GTest::gtest_main GTest::gmock
                        timestore_warnings)
  gtest_discover_tests(${name}_tests
    DISCOVERY_TIMEOUT 60
    PROPERTIES FIXTURES_REQUIRED services
               ENVIRONMENT "TIMESTORE_TEST_STATE_DIR=${CMAKE_BINARY_DIR}/test-state"
               TIMEOUT 300)
endfunction()
