# sockerless_ecs_core: configuration, task definitions, entrypoints, strategy, ENI addresses and
# launch overrides. Pure functions (randomness aside), so everything here is unit-tested without
# AWS, agents or the simulator.
find_package(yaml-cpp REQUIRED)

add_library(sockerless_ecs_core STATIC
  config.cpp
  entrypoint.cpp
  eni.cpp
  overrides.cpp
  strategy.cpp
  task_definition.cpp)
# yaml-cpp stays private: only config.cpp reads YAML, and no header includes it.
target_link_libraries(sockerless_ecs_core PUBLIC sockerless_aws sockerless_agentproto
  PRIVATE yaml-cpp)
sockerless_warnings(sockerless_ecs_core)

if(SOCKERLESS_BUILD_TESTS)
  add_executable(ecs_core_test
    config_test.cpp
    entrypoint_test.cpp
    eni_test.cpp
    overrides_test.cpp
    strategy_test.cpp
    task_definition_test.cpp)
  target_link_libraries(ecs_core_test PRIVATE sockerless_ecs_core GTest::gtest_main)
  sockerless_warnings(ecs_core_test)
  gtest_discover_tests(ecs_core_test DISCOVERY_MODE PRE_TEST)
endif()
