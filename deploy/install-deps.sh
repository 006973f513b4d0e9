#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages patchbot needs to build and to run its tests.
set -eu
packages="build-essential autoconf automake libtool pkg-config git jq
	libetpan-dev libgit2-dev libsqlite3-dev libcurl4-gnutls-dev libcmocka-dev"
if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
