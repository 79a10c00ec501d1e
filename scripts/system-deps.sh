#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing. `.ci/run` calls this;
# run it yourself (as root) before `npm test` on a new machine.
set -euo pipefail

need=()
# kubectl (1.27–1.33 side by side) comes with the machine image; the tests drive it as users do.
command -v kubectl >/dev/null || { echo "system-deps: kubectl is missing; install kubectl 1.27-1.33 first" >&2; exit 1; }

if ((${#need[@]})); then
  echo "system-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
