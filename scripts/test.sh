#!/usr/bin/env bash
# Sets up and runs every test: dependencies, formatting and clang-tidy, the CI build (warnings
# are errors) with its unit and integration tests, then the same tests under ASan+UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

cmake --preset ci
# Lint needs only the compile database that configuring wrote.
bash scripts/lint.sh build/ci
cmake --build --preset ci
ctest --preset ci -j2

# The sanitizer build tests against the ci build's simulator (SOCKERLESS_AWSSIM_PEER in the preset).
cmake --preset asan
cmake --build --preset asan
ctest --preset asan -j2
