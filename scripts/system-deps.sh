#!/usr/bin/env bash
# Debian packages the test suite needs, installed only when missing. `.ci/run` calls this;
# run it yourself (as root) before `npm test` on a new machine.
set -euo pipefail

need=()
# The podman runtime (and its tests): podman with runc (crun fails on hybrid cgroups) and
# catatonit for `--init`; busybox-static to build the local test image (no registry here).
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
[[ -x /usr/libexec/podman/catatonit ]] || command -v catatonit >/dev/null || need+=(catatonit)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || need+=(busybox-static)
# ip (iproute2): the multi-host test gives each agent a network namespace of its own.
command -v ip >/dev/null || need+=(iproute2)
# kubectl (1.27–1.33 side by side) comes with the machine image; the tests drive it as users do.
command -v kubectl >/dev/null || { echo "system-deps: kubectl is missing; install kubectl 1.27-1.33 first" >&2; exit 1; }

if ((${#need[@]})); then
  echo "system-deps: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
