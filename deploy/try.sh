#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's first command: install what patchbot needs, build it, and run
# its main job on a local default: ingest a sample patch series into a
# state database under ./try/ and list the series patchbot found.
set -eu
cd "$(dirname "$0")/.."
sh deploy/install-deps.sh
[ -x configure ] || ./autogen.sh >/dev/null
mkdir -p build
(cd build && { [ -f Makefile ] || ../configure -q; } && make -j"$(nproc)" >/dev/null)
mkdir -p try
cat >try/config <<CFG
# patchbot configuration for trying it locally (git-config syntax)
[bot]
	address = patchbot@localhost
	database = state.db
	templates = ../templates
[list]
	address = linux-mm@localhost
[maintainer]
	email = akpm@localhost
CFG
./build/bot/patchbot -c try/config ingest deploy/sample-series.mbox
./build/bot/patchbot -c try/config series list
./build/bot/patchbot -c try/config series show 1
