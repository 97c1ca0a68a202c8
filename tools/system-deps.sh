#!/usr/bin/env bash
# The Debian packages `make test` needs, installed when one is missing (as root), or named
# (otherwise). The tests fail, never skip, without them.
#   docker-registry  the real distribution v2 registry the cleanup tool and the pipeline push to
#   buildah          builds the CI and release images in the local pipeline run
#   debootstrap      makes the offline Debian base image (Docker Hub is unreachable here)
#   rsync, git       gitlab-ci-local's shell executor needs them
#   npm              installs gitlab-ci-local (tools/package-lock.json)
set -euo pipefail

declare -A PACKAGE_OF=(
  [docker-registry]=docker-registry [buildah]=buildah [debootstrap]=debootstrap
  [rsync]=rsync [git]=git [npm]=npm
)
missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "missing: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates "${missing[@]}" >/dev/null
