# Warnings for the project's own targets. Third-party implementation units (Asio, Beast, JSON)
# are compiled in src/base without them.
function(sockerless_warnings target)
  # -Wno-mismatched-new-delete: GCC 12 reports coroutine frames (Asio's awaitable frames have a
  # class-specific operator new/delete) as mismatched when instrumenting with sanitizers.
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    -Wno-missing-field-initializers -Wno-mismatched-new-delete)
  if(SOCKERLESS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  # Test code (targets named *_test, *_tests and test support libraries) is compiled at -O1 in
  # Release builds: it takes GCC about half the time of -O2 on these coroutine-heavy units, and
  # the code under test, in the project's libraries, keeps the build type's flags. At -O1 GCC 12
  # reports variant members of boost::system::result as maybe-uninitialized (false positives that
  # -O2's fuller analysis does not make); the libraries keep the warning.
  if(target MATCHES "(_test|_tests|_test_support)$")
    target_compile_options(${target} PRIVATE "$<$<CONFIG:Release>:-O1;-Wno-maybe-uninitialized>")
  endif()
endfunction()
