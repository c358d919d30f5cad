# sockerless_ecs_io: the parts of the ECS backend that talk to ECS, S3 and agents: the batched
# task watcher, the agent health prober and the launch-payload store with its bucket setup.
# Beast stays inside agent_health.cpp; no header here includes it.
find_package(spdlog REQUIRED)

add_library(sockerless_ecs_io STATIC
  agent_health.cpp
  payload_store.cpp
  task_watcher.cpp)
target_link_libraries(sockerless_ecs_io PUBLIC sockerless_aws sockerless_boost_impl
  sockerless_agentproto PRIVATE spdlog::spdlog)
sockerless_warnings(sockerless_ecs_io)

if(SOCKERLESS_BUILD_TESTS)
  # Against the real simulator and the real agent, found through SOCKERLESS_AWSSIM and
  # SOCKERLESS_AGENT (tests skip, saying so, when a variable is unset).
  # The simulator as a child process and AWS clients for it, compiled once for every ECS test.
  add_library(sockerless_ecs_test_support STATIC ecs_io_test_support.cpp)
  target_link_libraries(sockerless_ecs_test_support PUBLIC sockerless_ecs_io)
  sockerless_warnings(sockerless_ecs_test_support)

  add_executable(ecs_io_test
    agent_health_test.cpp
    payload_store_test.cpp
    task_watcher_test.cpp)
  target_link_libraries(ecs_io_test PRIVATE sockerless_ecs_test_support GTest::gtest_main)
  sockerless_warnings(ecs_io_test)
  add_dependencies(ecs_io_test sockerless-awssim sockerless-agent)
  # Two properties with one value each: a ';' inside PROPERTIES would split the list.
  gtest_discover_tests(ecs_io_test DISCOVERY_MODE PRE_TEST TEST_PREFIX ecs_io.
    PROPERTIES TIMEOUT 180
      ENVIRONMENT "SOCKERLESS_AWSSIM=$<TARGET_FILE:sockerless-awssim>"
      ENVIRONMENT_MODIFICATION "SOCKERLESS_AGENT=set:$<TARGET_FILE:sockerless-agent>")
endif()
