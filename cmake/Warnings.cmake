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
endfunction()
