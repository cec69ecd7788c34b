#!/usr/bin/env bash
# The differential conformance corpus (../shared/conformance), with the
# cases we cannot pass yet listed in tests/conformance.skip.
set -u
here=$(cd "$(dirname "$0")" && pwd)
shared=${WITHY_SHARED:-$here/../../shared}
if [ ! -x "$shared/conformance/run" ]; then
  echo "conformance: corpus not found at $shared/conformance (set WITHY_SHARED)" >&2
  exit 1
fi
"$shared/conformance/run" --skip "$here/conformance.skip" "$@"
