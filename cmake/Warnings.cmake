# Warnings for the project's own targets. Third-party implementation units (Asio, Beast, JSON)
# are compiled in src/base without them.
function(sockerless_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
  if(SOCKERLESS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
