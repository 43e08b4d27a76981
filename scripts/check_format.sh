#!/bin/sh
# Fails when a C++ file differs from the committed .clang-format; clang-format names each
# place. Fix with:
#   git ls-files '*.cc' '*.h' | xargs clang-format -i
set -eu
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z '*.cc' '*.h' | xargs -0 -P 2 -n 40 clang-format --dry-run -Werror
else
  find src tests bench examples include \( -name '*.cc' -o -name '*.h' \) -print0 |
    xargs -0 -P 2 -n 40 clang-format --dry-run -Werror
fi
