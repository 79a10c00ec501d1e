#!/usr/bin/env bash
# Builds a small local image from Debian's busybox-static, for machines where no registry can be
# reached (ours): a root filesystem with busybox and its applets as symlinks, /etc/passwd and
# /etc/group, imported with `podman import`.
#
#   scripts/build-busybox-image.sh [PODMAN GLOBAL ARGS...]
#
# The arguments go to podman before `import` (e.g. `--root R --runroot RR --tmpdir T`); podman's
# environment (CONTAINERS_CONF...) is used as given. IMAGE names the image (default
# localhost/busybox:1), PODMAN the binary (default podman). An image that exists is left alone.
set -euo pipefail

image=${IMAGE:-localhost/busybox:1}
podman=${PODMAN:-podman}
busybox=$(command -v busybox || true)
[[ -n "$busybox" ]] || { echo "build-busybox-image: busybox is missing: apt-get install -y busybox-static" >&2; exit 1; }

if "$podman" "$@" image exists "$image"; then
  exit 0
fi

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,etc,dev,proc,sys,root,home,var,usr} "$rootfs"/tmp
chmod 1777 "$rootfs/tmp"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
  [[ "$applet" == busybox ]] || ln -s busybox "$rootfs/bin/$applet"
done
# One bin directory, reachable under the usual names.
ln -s bin "$rootfs/sbin"
ln -s ../bin "$rootfs/usr/bin"
ln -s ../bin "$rootfs/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"

tar -C "$rootfs" -c . | "$podman" "$@" import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["sh"]' \
  - "$image" >/dev/null
echo "build-busybox-image: built $image"
