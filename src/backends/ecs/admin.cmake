# sockerless_ecs_admin: the operator's commands for the ECS backend (sockerless-admin), as
# functions that return text and an exit status. CLI11 is header-only and stays in the .cpp.
add_library(sockerless_ecs_admin STATIC bucket_command.cpp)
target_link_libraries(sockerless_ecs_admin PUBLIC sockerless_ecs_core sockerless_ecs_io)
sockerless_warnings(sockerless_ecs_admin)

if(SOCKERLESS_BUILD_TESTS)
  # Argument handling and messages without I/O, and setup/check against the real simulator
  # (SOCKERLESS_AWSSIM; those tests skip, saying so, when it is unset).
  add_executable(ecs_admin_test bucket_command_test.cpp)
  target_link_libraries(ecs_admin_test PRIVATE sockerless_ecs_test_support sockerless_ecs_admin
    GTest::gtest_main)
  sockerless_warnings(ecs_admin_test)
  add_dependencies(ecs_admin_test sockerless-awssim)
  gtest_discover_tests(ecs_admin_test DISCOVERY_MODE PRE_TEST TEST_PREFIX ecs_admin.
    PROPERTIES TIMEOUT 120
      ENVIRONMENT "SOCKERLESS_AWSSIM=$<TARGET_FILE:sockerless-awssim>")
endif()
