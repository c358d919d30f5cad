# sockerless_engine_pure: the engine's pure modules (container names, the filters parameter).
# No I/O and no state, so they are unit-tested with golden tables.
add_library(sockerless_engine_pure STATIC names.cpp filters.cpp)
target_link_libraries(sockerless_engine_pure PUBLIC sockerless_base)
sockerless_warnings(sockerless_engine_pure)

if(SOCKERLESS_BUILD_TESTS)
  add_executable(engine_pure_test names_test.cpp filters_test.cpp)
  target_link_libraries(engine_pure_test PRIVATE sockerless_engine_pure GTest::gtest_main)
  sockerless_warnings(engine_pure_test)
  gtest_discover_tests(engine_pure_test DISCOVERY_MODE PRE_TEST)
endif()
