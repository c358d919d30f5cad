#!/usr/bin/env bash
# Sets up and runs every test: dependencies, the CI build (warnings are errors) with its unit and
# integration tests, the same tests under ASan+UBSan, then formatting and clang-tidy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

cmake --preset ci
cmake --build --preset ci
ctest --preset ci -j2

cmake --preset asan
cmake --build --preset asan
ctest --preset asan -j2

bash scripts/lint.sh build/ci
