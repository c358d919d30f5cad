#!/usr/bin/env bash
# Formatting (clang-format) and static analysis (clang-tidy) of the project's own sources.
# Usage: scripts/lint.sh [--fix] [BUILD_DIR]   (BUILD_DIR needs compile_commands.json; default build/ci)
set -euo pipefail
cd "$(dirname "$0")/.."
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
build=${1:-build/ci}

mapfile -t files < <(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp' 'tools/*.cpp' 'tools/*.h')
if [ $fix -eq 1 ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run --Werror "${files[@]}"
  echo "lint: clang-format clean (${#files[@]} files)"
fi

[ -f "$build/compile_commands.json" ] || { echo "lint: no $build/compile_commands.json; configure first" >&2; exit 1; }
# clang-tidy reads the code that ships (src/ and tools/, not tests or benchmarks): parsing Beast and
# Asio costs each unit tens of seconds on two cores, and test code is held to -Werror already.
mapfile -t units < <(printf '%s\n' "${files[@]}" | grep -E '^(src|tools)/.*\.cpp$' \
  | grep -v -E '_test\.cpp$|^src/base/.*_impl\.cpp$')
# Two workers: the machine has two cores.
# GCC-only options in the database (-Wno-maybe-uninitialized on test code) are not clang's to judge.
printf '%s\n' "${units[@]}" | xargs -P 2 -n 4 clang-tidy -p "$build" --quiet \
  --extra-arg=-Wno-unknown-warning-option 2>/dev/null
echo "lint: clang-tidy clean (${#units[@]} translation units)"
