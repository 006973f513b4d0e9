#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install the Debian 12 packages patchbot needs to build and to run its tests,
# including the real mail stack on loopback (postfix, dovecot; see
# deploy/mailstack.sh) and the real mail clients the end-to-end tests drive
# (git send-email, mutt, swaks, curl), bubblewrap, the sandbox of
# `try vN build`, headless Chromium with its WebDriver for the status
# page's browser test, groff and man to check the man pages, and the
# tools of the test suite (clang for the fuzz targets, valgrind, sqlite3,
# GNU time for the benchmarks).
set -eu
packages="build-essential autoconf automake libtool pkg-config git jq
	libetpan-dev libgit2-dev libsqlite3-dev libcurl4-gnutls-dev libcmocka-dev
	postfix dovecot-imapd dovecot-lmtpd git-email mutt swaks curl
	sqlite3 procps iproute2 ca-certificates openssl libgnutls28-dev zlib1g-dev
	groff-base man-db
	clang libclang-rt-14-dev valgrind time
	chromium chromium-driver bubblewrap"
if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt/dpkg run instead of failing on its lock.
lock="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
apt-get $lock update -qq
# postfix asks what kind of mail server this is: none.  deploy/mailstack.sh
# runs postfix from its own configuration directory, never /etc/postfix.
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
# shellcheck disable=SC2086
apt-get $lock install -y -qq --no-install-recommends $packages >/dev/null
