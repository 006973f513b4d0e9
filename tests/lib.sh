# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh: helpers for patchbot's shell tests, read like a story:
#   begin "what is tested"; ...; expect_eq "$actual" "$expected"; ...; finish
set -u

: "${PATCHBOT:?set PATCHBOT to the patchbot binary (make check does)}"
passed=0
failed=0
current=""

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pbtest.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT

begin() {
	current="$1"
	echo "# $current"
}

ok() {
	passed=$((passed + 1))
	echo "ok - $current${1:+: $1}"
}

not_ok() {
	failed=$((failed + 1))
	echo "not ok - $current: $1"
}

expect_eq() {
	if [ "$1" = "$2" ]; then
		ok "${3:-}"
	else
		not_ok "${3:-} expected '$2', got '$1'"
	fi
}

expect_contains() {
	case "$1" in
	*"$2"*) ok "${3:-}" ;;
	*) not_ok "${3:-} expected to find '$2' in '$1'" ;;
	esac
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# A throwaway git identity and no global configuration.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Sam Submitter" GIT_AUTHOR_EMAIL="sam@example.org"
export GIT_COMMITTER_NAME="Sam Submitter" GIT_COMMITTER_EMAIL="sam@example.org"

# git names a cover letter after the current second: two series made in
# the same second would share a Message-ID.  Wait for the next second.
next_second() {
	t0=$(date +%s)
	while [ "$(date +%s)" = "$t0" ]; do sleep 0.05; done
}
