#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# test_report_browser: the status page in a real browser.  patchbot stores
# a queued series and a hostile one that waits, `patchbot report --html`
# writes the page, and headless Chromium, driven over WebDriver
# (chromedriver) at a phone's size, loads it: the structure is asserted
# in the DOM the browser built, the page must not scroll sideways, and a
# screenshot is kept as tests/artifacts/report.png in the build folder.
# Skips (77) only when chromium is not installed.
. "$(dirname "$0")/lib.sh"

src=${PATCHBOT_SRCDIR:-$(dirname "$0")/..}
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	echo "chromium is not installed (deploy/install-deps.sh installs it): skipped"
	exit 77
fi
artifacts=$PWD/tests/artifacts
mkdir -p "$artifacts"
# $HOME may not be writable, and chromium wants a profile
export HOME="$TEST_TMP/home"
mkdir -p "$HOME"
cd "$TEST_TMP" || exit 1

# ---- the store: a queued series, a review, a hostile series waiting --------
export GIT_AUTHOR_DATE="2024-01-02T10:00:00Z" GIT_COMMITTER_DATE="2024-01-02T10:00:00Z"
git init -q -b master repo
(
	cd repo && mkdir mm &&
	printf 'int a;\nint b;\nint c;\nint d;\n' >mm/foo.c &&
	git add -A && git commit -q -m base &&
	git checkout -q -b s1 &&
	sed -i 's/int b;/int b = 1;/' mm/foo.c && git commit -q -sam 'mm/foo: set b' &&
	printf 'int bar;\n' >mm/bar.c && git add mm/bar.c &&
	git commit -q -s -m 'mm/foo: add bar' -m 'The bar is new.' &&
	git format-patch -q --thread --cover-letter --stdout master >../series.mbox &&
	git checkout -q master && git branch -q -D s1
) || exit 1
# the first patch's Message-ID (the cover letter's comes first)
first=$(grep -i -m2 '^Message-ID:' series.mbox | tail -1 | sed 's/^[^<]*<\([^>]*\)>.*/\1/')
cat >queue.eml <<EOF
From: Andrew Morton <akpm@example.org>
To: list@example.org
Subject: Re: [PATCH 1/2] mm/foo: set b
Message-ID: <queue1@example.org>
In-Reply-To: <$first>
References: <$first>
Date: Wed, 3 Jan 2024 10:00:00 +0000

Reviewed-by: Andrew Morton <akpm@example.org>

#patchbot queue
EOF
cat >hostile.eml <<'EOF'
From: "Eve \"Q\" & Co" <eve@example.org>
To: list@example.org
Subject: [PATCH] <script>document.title="owned"</script> & 'q'
Message-ID: <evil@example.org>
Date: Thu, 4 Jan 2024 09:00:00 +0000

Make c bigger.
---
diff --git a/mm/foo.c b/mm/foo.c
--- a/mm/foo.c
+++ b/mm/foo.c
@@ -2,3 +2,3 @@
 int b;
-int c;
+int c = 3;
 int d;
EOF
cat >patchbot.conf <<EOF
[bot]
	address = patchbot@example.org
	database = patchbot.db
	templates = $src/templates
[list]
	address = list@example.org
[tree]
	repo = repo
[maintainer]
	email = akpm@example.org
[auth]
	requireDkim = false
[report]
	htmlDir = www
EOF
PB="$PATCHBOT -c patchbot.conf"

begin "patchbot report writes the page from the store"
$PB ingest --quiet --react series.mbox queue.eml hostile.eml 2>ingest.log
out=$($PB report 2>&1)
expect_contains "$out" "www/index.html written"
[ -s www/index.html ] && ok "index.html" || not_ok "no www/index.html"

# ---- the browser -------------------------------------------------------
driver=$(command -v chromedriver || true)
if [ -z "$driver" ]; then
	begin "chromedriver is installed"
	not_ok "chromium is, but not chromium-driver (deploy/install-deps.sh installs both)"
	finish
	exit 1
fi
"$driver" --port=0 >driver.log 2>&1 &
driver_pid=$!
sid=
# end the browser (through its session) and the driver, however the test ends
cleanup() {
	[ -n "$sid" ] && curl -s --max-time 30 -X DELETE "$wd/session/$sid" >/dev/null
	kill "$driver_pid" 2>/dev/null
	wait "$driver_pid" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*started successfully on port \([0-9]*\).*/\1/p' driver.log)
	[ -n "$port" ] && break
	sleep 0.1
done
wd="http://127.0.0.1:$port"
if [ -z "$port" ]; then
	begin "chromedriver starts"
	not_ok "$(tail -5 driver.log)"
	finish
	exit 1
fi

# POST JSON to the WebDriver endpoint PATH of the session
post() {
	curl -sS --max-time 120 -X POST -H 'Content-Type: application/json' \
		-d "$2" "$wd/session${sid:+/$sid}$1"
}
# the value of a script run in the page (JSON)
js() {
	post /execute/sync "$(jq -nc --arg s "$1" '{script: $s, args: []}')" | jq -c .value
}

begin "chromium starts headless at a phone's size"
# mobile emulation makes the page's viewport meta count, as on a phone
caps=$(jq -nc --arg bin "$chromium" --arg prof "$TEST_TMP/profile" '{capabilities:
	{alwaysMatch: {"goog:chromeOptions": {binary: $bin,
	 args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--disable-extensions", "--user-data-dir=" + $prof],
	 mobileEmulation: {deviceMetrics: {width: 390, height: 844, pixelRatio: 2}}}}}}')
sid=$(post "" "$caps" | jq -r '.value.sessionId // empty')
if [ -z "$sid" ]; then
	not_ok "no WebDriver session: $(tail -5 driver.log)"
	finish
	exit 1
fi
ok
post /url "$(jq -nc --arg u "file://$TEST_TMP/www/index.html" '{url: $u}')" >/dev/null

begin "the page is laid out for the phone"
expect_eq "$(js 'return window.innerWidth')" "390" "viewport width"
expect_eq "$(js 'return document.documentElement.scrollWidth <= window.innerWidth')" "true" \
	"no sideways scrolling"

begin "each branch has its section, top of the stack first"
expect_eq "$(js 'return [...document.querySelectorAll("#queue section.branch")].map(s => s.dataset.branch)')" \
	'["mm-unstable","mm-stable"]'

begin "the queued series is on mm-unstable with its trailers and commits"
expect_eq "$(js 'return document.querySelectorAll("#branch-mm-unstable li.series").length')" "1"
expect_eq "$(js 'return document.querySelectorAll("#branch-mm-stable li.series").length')" "0"
expect_eq "$(js 'return document.querySelector("#branch-mm-unstable li.series .title").textContent')" \
	'"v1 *** SUBJECT HERE ***"'
expect_contains "$(js 'return document.querySelector("#branch-mm-unstable .trailers").textContent')" \
	"Reviewed-by: Andrew Morton <akpm@example.org> (1/2)"
commits=$($PB queue list --json | jq -r '.branches[].series[].commits[]' | cut -c1-12)
expect_eq "$(js 'return [...document.querySelectorAll("#branch-mm-unstable .commits code")].map(c => c.textContent).join(" ")')" \
	"\"$(echo $commits)\""

begin "the hostile series waits, shown as text"
expect_eq "$(js 'return document.querySelectorAll("#waiting li.series").length')" "1"
expect_eq "$(js 'return document.querySelector("#waiting li.series .title a").textContent')" \
	"$(jq -nc --arg t "<script>document.title=\"owned\"</script> & 'q'" '$t')"
expect_eq "$(js 'return document.querySelector("#waiting .author").textContent')" \
	"$(jq -nc --arg t 'Eve "Q" & Co <eve@example.org>' '$t')"
expect_eq "$(js 'return document.scripts.length')" "0" "no script element"
expect_eq "$(js 'return document.title')" '"patchbot: the patch queue"' "title untouched"
expect_contains "$(js 'return document.querySelector("#waiting li.series").textContent')" "feedback sent"

begin "activity and subscriptions are there"
expect_contains "$(js 'return document.querySelector("#activity .history").textContent')" "queued v1"
expect_eq "$(js 'return document.querySelectorAll("#activity .recent li").length')" "2"
expect_eq "$(js 'return document.querySelectorAll("#subscriptions").length')" "1"

begin "a phone-size screenshot is kept"
curl -sS --max-time 120 "$wd/session/$sid/screenshot" | jq -r .value | base64 -d >"$artifacts/report.png"
size=$(wc -c <"$artifacts/report.png")
magic=$(head -c 8 "$artifacts/report.png" | od -An -tx1 | tr -d ' \n')
expect_eq "$magic" "89504e470d0a1a0a" "PNG signature"
[ "$size" -gt 10000 ] && ok "$size bytes" || not_ok "only $size bytes"
echo "# screenshot: $artifacts/report.png"

finish
