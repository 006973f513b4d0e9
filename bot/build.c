/* SPDX-License-Identifier: GPL-2.0-or-later */
/* build: a tree checked out and built in a bubblewrap sandbox (see build.h). */
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* How much of the output is kept, whatever its length: the tail. */
#define KEEP_BYTES (64 * 1024)
/* The uid and gid a build runs as when patchbot is root: nobody. */
#define NOBODY 65534

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

void build_result_release(struct build_result *r)
{
	free(r->tail);
	r->tail = NULL;
}

int build_checkout(git_repository *repo, const git_oid *commit, char **dir,
		   struct buf *err)
{
	const char *tmpdir = getenv("TMPDIR");
	git_checkout_options o;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_index *empty = NULL;
	char *path;
	int r = -1;

	*dir = NULL;
	path = xasprintf("%s/patchbot-build.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(path)) {
		buf_addf(err, "cannot make a folder for the build in '%s': %s",
			 tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
		free(path);
		return -1;
	}
	/* the build runs as nobody when we are root: it must read the files */
	if (chmod(path, 0755) < 0) {
		buf_addf(err, "cannot open '%s' to the build: %s", path, strerror(errno));
		goto out;
	}
	if (git_commit_lookup(&c, repo, commit) < 0 || git_commit_tree(&tree, c) < 0 ||
	    git_index_new(&empty) < 0) {
		buf_addf(err, "cannot read commit '%s': %s", git_oid_tostr_s(commit), git_msg());
		goto out;
	}
	git_checkout_options_init(&o, GIT_CHECKOUT_OPTIONS_VERSION);
	/* every file written, against an empty baseline, the repository untouched */
	o.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX |
			      GIT_CHECKOUT_DISABLE_PATHSPEC_MATCH;
	o.target_directory = path;
	o.baseline_index = empty;
	o.dir_mode = 0755;
	o.file_mode = 0;
	if (git_checkout_tree(repo, (git_object *)tree, &o) < 0) {
		buf_addf(err, "cannot check '%s' out into '%s': %s", git_oid_tostr_s(commit),
			 path, git_msg());
		goto out;
	}
	r = 0;
out:
	git_index_free(empty);
	git_tree_free(tree);
	git_commit_free(c);
	if (r) {
		build_remove_dir(path);
		free(path);
	} else {
		*dir = path;
	}
	return r;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0)
		log_warn("cannot remove '%s'", path);
	return 0;
}

void build_remove_dir(const char *dir)
{
	if (dir && *dir)
		nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The child: limits, an unprivileged uid, then bwrap.  Never returns. */
static void run_child(const char *dir, const struct build_opts *o, int out_fd)
{
	/*
	 * The checkout is read-only at /tmp/src; the build gets its own copy
	 * in the sandbox's /tmp, a tmpfs of max_disk bytes, so that a build
	 * that fills its disk fills only that.
	 */
	static const char script[] =
		"mkdir /tmp/build && cp -a /tmp/src/. /tmp/build/ && cd /tmp/build &&"
		" exec /bin/sh -c \"$1\"";
	char size[32];
	const char *argv[] = {
		o->bwrap ? o->bwrap : "bwrap",
		"--unshare-user", "--unshare-net", "--unshare-pid", "--unshare-ipc",
		"--unshare-uts", "--unshare-cgroup-try",
		"--die-with-parent", "--new-session", "--cap-drop", "ALL",
		"--ro-bind", "/usr", "/usr",
		"--ro-bind-try", "/bin", "/bin", "--ro-bind-try", "/sbin", "/sbin",
		"--ro-bind-try", "/lib", "/lib", "--ro-bind-try", "/lib64", "/lib64",
		"--ro-bind-try", "/lib32", "/lib32", "--ro-bind", "/etc", "/etc",
		"--dev", "/dev", "--proc", "/proc",
		"--size", size, "--tmpfs", "/tmp",
		"--ro-bind", dir, "/tmp/src",
		"--remount-ro", "/",
		"--clearenv", "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
		"--setenv", "HOME", "/tmp", "--setenv", "LC_ALL", "C",
		"--chdir", "/tmp",
		"/bin/sh", "-c", script, "sh", o->command,
		NULL,
	};
	struct rlimit as = { o->max_memory, o->max_memory };
	struct rlimit np = { o->max_procs, o->max_procs };
	struct rlimit fs = { o->max_disk, o->max_disk };
	struct rlimit core = { 0, 0 };
	int null = open("/dev/null", O_RDONLY);

	snprintf(size, sizeof(size), "%zu", o->max_disk);
	setpgid(0, 0);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
		_exit(126);
	if ((o->max_memory && setrlimit(RLIMIT_AS, &as) < 0) ||
	    (o->max_procs && setrlimit(RLIMIT_NPROC, &np) < 0) ||
	    (o->max_disk && setrlimit(RLIMIT_FSIZE, &fs) < 0) ||
	    setrlimit(RLIMIT_CORE, &core) < 0) {
		dprintf(2, "patchbot: cannot set the build's limits: %s\n", strerror(errno));
		_exit(126);
	}
	/*
	 * Root is exempt from RLIMIT_NPROC, and inside bwrap's user namespace
	 * the build would still be root outside it: drop to nobody first.
	 */
	if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 ||
			       setuid(NOBODY) < 0)) {
		dprintf(2, "patchbot: cannot drop privileges for the build: %s\n",
			strerror(errno));
		_exit(126);
	}
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "patchbot: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Keep the last KEEP_BYTES of the output. */
static void keep_tail(struct buf *b, const char *p, size_t n)
{
	if (n >= KEEP_BYTES) {
		buf_reset(b);
		buf_add(b, p + n - KEEP_BYTES, KEEP_BYTES);
		return;
	}
	if (b->len + n > KEEP_BYTES) {
		size_t drop = b->len + n - KEEP_BYTES;

		memmove(b->s, b->s + drop, b->len - drop);
		buf_setlen(b, b->len - drop);
	}
	buf_add(b, p, n);
}

/* The last `lines` lines of out, control and non-ASCII bytes as '?'. */
static char *last_lines(const struct buf *out, unsigned lines)
{
	size_t end = out->len, start;
	unsigned n = 0;
	char *t;

	while (end && out->s[end - 1] == '\n')
		end--;
	start = end;
	while (start && n < lines) {
		start--;
		if (out->s[start] == '\n' && ++n == lines) {
			start++;
			break;
		}
	}
	t = xstrndup(out->s + start, end - start);
	for (char *p = t; *p; p++)
		if ((*p != '\n' && *p != '\t' && (unsigned char)*p < 0x20) ||
		    (unsigned char)*p >= 0x7f)
			*p = '?';
	return t;
}

int build_run(const char *dir, const struct build_opts *o, struct build_result *r,
	      struct buf *err)
{
	struct buf out = BUF_INIT(2 * KEEP_BYTES);
	double start = now_mono(), deadline = start + (double)o->timeout;
	int fds[2], status = 0;
	bool open_end = true;
	pid_t pid, w;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	if (!o->command || !*o->command) {
		buf_adds(err, "no build command: 'tree.buildCommand' is not set");
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		buf_addf(err, "cannot make a pipe for the build: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		buf_addf(err, "cannot start the build: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (!pid)
		run_child(dir, o, fds[1]);
	close(fds[1]);
	/* the child's group, also set here so that a kill cannot miss it */
	setpgid(pid, pid);
	while (open_end) {
		struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
		double left = deadline - now_mono();
		char chunk[8192];
		ssize_t n;
		int pr;

		if (!r->timed_out && left <= 0) {
			/* bwrap dies, and with it (--die-with-parent) the namespace */
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			r->timed_out = true;
			deadline = now_mono() + 5;
			continue;
		}
		if (r->timed_out && left <= 0)
			break;
		pr = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			open_end = false;
		else
			keep_tail(&out, chunk, (size_t)n);
	}
	close(fds[0]);
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	r->seconds = now_mono() - start;
	if (w < 0)
		/* no status (SIGCHLD ignored?): never a pass */
		log_warn("build: cannot wait for the sandbox");
	else if (WIFEXITED(status))
		r->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->signal = WTERMSIG(status);
	r->passed = !r->timed_out && r->exit_status == 0;
	r->tail = last_lines(&out, o->log_lines ? o->log_lines : 30);
	buf_release(&out);
	return 0;
}

void build_describe(const struct build_result *r, const struct build_opts *o,
		    struct buf *out)
{
	if (r->passed)
		buf_addf(out, "the build passed in %.0f s", r->seconds);
	else if (r->timed_out)
		buf_addf(out, "the build failed: it ran out of time (tree.buildTimeout, %lld s)"
			      " and was killed", (long long)o->timeout);
	else if (r->signal)
		buf_addf(out, "the build failed: killed by signal %d after %.0f s", r->signal,
			 r->seconds);
	else
		buf_addf(out, "the build failed: exit status %d after %.0f s", r->exit_status,
			 r->seconds);
}
