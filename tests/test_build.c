/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_build: `try vN build` runs untrusted Makefiles, so the sandbox of
 * bot/build.c is tested with real bubblewrap against hostile ones.  Each
 * case is a commit in a scratch repository whose Makefile does one thing;
 * the tree is checked out with build_checkout and built with `make`.  A
 * build that passes passes; one that fails reports its last lines; one
 * that writes outside its checkout, uses the network, forks without end,
 * fills its disk, eats memory or never ends is reported as failed, and
 * nothing it tried reaches the host.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "testutil.h"
#include "util.h"

static char *tmp;
static git_repository *repo;

static void sh(const char *cmd)
{
	test_sh(tmp, cmd);
}

static int setup(void **state)
{
	char *path;

	(void)state;
	if (system("command -v bwrap >/dev/null 2>&1")) {
		print_error("bwrap is missing: install the Debian package bubblewrap\n");
		return -1;
	}
	tmp = test_tmpdir("pbbuild");
	sh("git init -q -b master repo && cd repo && git config user.name T &&"
	   " git config user.email t@example.org &&"
	   " printf '#include <stdio.h>\\nint main(void) { puts(\"hello\"); return 0; }\\n'"
	   " >hello.c && git add hello.c && git commit -q -m base");
	path = xasprintf("%s/repo", tmp);
	assert_int_equal(git_repository_open(&repo, path), 0);
	free(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	git_repository_free(repo);
	git_libgit2_shutdown();
	test_rmtree(tmp);
	return 0;
}

/* Commit this Makefile and return the commit. */
static git_oid commit_makefile(const char *makefile)
{
	char *path = xasprintf("%s/repo/Makefile", tmp);
	FILE *f = fopen(path, "w");
	git_oid id;

	assert_non_null(f);
	fputs(makefile, f);
	fclose(f);
	free(path);
	sh("cd repo && git add Makefile && git commit -q --allow-empty -m case");
	assert_int_equal(git_reference_name_to_id(&id, repo, "HEAD"), 0);
	return id;
}

static const struct build_opts defaults = {
	.command = "make",
	.timeout = 3,
	.max_memory = (size_t)1 << 30,
	.max_procs = 64,
	.max_disk = (size_t)64 << 20,
	.log_lines = 5,
};

/* Check the case out, build it with o, remove the checkout. */
static void build_case(const char *makefile, const struct build_opts *o,
		       struct build_result *r)
{
	git_oid id = commit_makefile(makefile);
	struct buf err = BUF_INIT(4096);
	char *dir = NULL, *src;
	struct stat sb;

	assert_int_equal(build_checkout(repo, &id, &dir, &err), 0);
	src = xasprintf("%s/hello.c", dir);
	assert_int_equal(stat(src, &sb), 0);
	free(src);
	if (build_run(dir, o ? o : &defaults, r, &err)) {
		print_error("%s\n", err.s);
		fail();
	}
	print_message("%s in %.1f s, exit %d, signal %d, timed out %d; tail:\n%s\n",
		      r->passed ? "passed" : "failed", r->seconds, r->exit_status, r->signal,
		      r->timed_out, r->tail);
	/* the checkout is read-only to the build */
	src = xasprintf("%s/pbescaped", dir);
	assert_int_not_equal(stat(src, &sb), 0);
	free(src);
	build_remove_dir(dir);
	assert_int_not_equal(stat(dir, &sb), 0);
	free(dir);
	buf_release(&err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle)) {
		print_error("expected '%s' in:\n%s\n", needle, hay ? hay : "(null)");
		fail();
	}
}

/*
 * No process of the build is left: none whose command line matches re
 * (written so that it does not match itself, "[s]leep").  Other tests on
 * the machine may run as nobody too, hence the pattern.
 */
static void assert_nothing_left(const char *re)
{
	char *cmd = xasprintf("pgrep -f '%s' >/dev/null", re);

	/* the kernel tears a killed namespace down after we see it end */
	for (int i = 0; i < 50; i++) {
		if (system(cmd)) {
			free(cmd);
			return;
		}
		usleep(100 * 1000);
	}
	free(cmd);
	fail_msg("processes of the build are still running");
}

static void test_passes(void **state)
{
	struct build_result r;

	(void)state;
	build_case("all:\n\tcc -o hello hello.c\n\t./hello\n", NULL, &r);
	assert_true(r.passed);
	assert_int_equal(r.exit_status, 0);
	assert_contains(r.tail, "hello");
	build_result_release(&r);
}

static void test_fails_with_last_lines(void **state)
{
	struct build_result r;
	struct buf out = BUF_INIT(4096);

	(void)state;
	build_case("all:\n\t@for i in $$(seq 1 40); do echo line $$i; done\n"
		   "\t@echo 'hello.c:1: error: broken' >&2; exit 3\n", NULL, &r);
	assert_false(r.passed);
	assert_false(r.timed_out);
	assert_int_equal(r.exit_status, 2);     /* make's */
	assert_contains(r.tail, "line 40\n");
	assert_contains(r.tail, "hello.c:1: error: broken");
	assert_null(strstr(r.tail, "line 30\n"));   /* only the last 5 lines */
	build_describe(&r, &defaults, &out);
	assert_contains(out.s, "the build failed: exit status 2");
	buf_release(&out);
	build_result_release(&r);
}

/* Writes to the system, the checkout and the host's /tmp go nowhere. */
static void test_writes_outside_fail(void **state)
{
	struct build_result r;
	struct build_opts o = defaults;
	char *mk, *host = xasprintf("%s/escaped", tmp);
	struct stat sb;

	(void)state;
	mk = xasprintf("all:\n\t-touch /etc/pbescaped /usr/pbescaped\n"
		       "\t-touch /tmp/src/pbescaped\n\t-touch %s\n\t-mkdir /root/pbescaped\n"
		       "\ttouch /var/pbescaped\n", host);
	o.log_lines = 30;
	build_case(mk, &o, &r);
	free(mk);
	assert_false(r.passed);
	assert_contains(r.tail, "Read-only file system");
	assert_int_not_equal(stat("/etc/pbescaped", &sb), 0);
	assert_int_not_equal(stat("/usr/pbescaped", &sb), 0);
	assert_int_not_equal(stat("/var/pbescaped", &sb), 0);
	assert_int_not_equal(stat("/root/pbescaped", &sb), 0);
	assert_int_not_equal(stat(host, &sb), 0);
	free(host);
	build_result_release(&r);
}

/* A server on the host's loopback is out of reach. */
static void test_no_network(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	struct build_result r;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	char *mk;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	mk = xasprintf("all:\n\tcurl -sS --max-time 2 http://127.0.0.1:%d/\n",
		       ntohs(a.sin_port));
	build_case(mk, NULL, &r);
	free(mk);
	assert_false(r.passed);
	assert_false(r.timed_out);
	assert_contains(r.tail, "Failed to connect");
	/* nothing knocked */
	assert_int_equal(accept(fd, NULL, NULL), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close(fd);
	build_result_release(&r);
}

static void test_fork_bomb_stopped(void **state)
{
	struct build_result r;

	(void)state;
	build_case("all:\n\tsh -c ': pbforkbomb; f() { f | f; }; f'\n", NULL, &r);
	assert_false(r.passed);
	assert_contains(r.tail, "Cannot fork");
	assert_nothing_left("[p]bforkbomb");
	build_result_release(&r);
}

static void test_disk_filling_stopped(void **state)
{
	struct build_result r;
	struct build_opts o = defaults;

	(void)state;
	o.max_disk = (size_t)8 << 20;
	build_case("all:\n\tdd if=/dev/zero of=big bs=1M count=64\n", &o, &r);
	assert_false(r.passed);
	assert_false(r.timed_out);
	build_result_release(&r);
	/* many small files instead of one big one */
	build_case("all:\n\tfor i in $$(seq 1 100); do head -c 1000000 /dev/zero >f$$i ||"
		   " exit 1; done\n", &o, &r);
	assert_false(r.passed);
	assert_contains(r.tail, "No space left on device");
	build_result_release(&r);
}

static void test_memory_limited(void **state)
{
	struct build_result r;
	struct build_opts o = defaults;

	(void)state;
	o.max_memory = (size_t)256 << 20;
	build_case("all:\n\tpython3 -c 'x = bytearray(1 << 30); print(\"got it\")'\n", &o, &r);
	assert_false(r.passed);
	assert_contains(r.tail, "MemoryError");
	build_result_release(&r);
}

static void test_sleep_forever_times_out(void **state)
{
	struct build_result r;
	struct build_opts o = defaults;
	struct buf out = BUF_INIT(4096);

	(void)state;
	o.timeout = 2;
	build_case("all:\n\t@echo going to sleep\n\tsleep 987654 & sleep 987654\n", &o, &r);
	assert_false(r.passed);
	assert_true(r.timed_out);
	assert_true(r.seconds < 8);
	assert_contains(r.tail, "going to sleep");
	assert_nothing_left("[s]leep 987654");
	build_describe(&r, &o, &out);
	assert_contains(out.s, "ran out of time (tree.buildTimeout, 2 s)");
	buf_release(&out);
	build_result_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passes),
		cmocka_unit_test(test_fails_with_last_lines),
		cmocka_unit_test(test_writes_outside_fail),
		cmocka_unit_test(test_no_network),
		cmocka_unit_test(test_fork_bomb_stopped),
		cmocka_unit_test(test_disk_filling_stopped),
		cmocka_unit_test(test_memory_limited),
		cmocka_unit_test(test_sleep_forever_times_out),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
