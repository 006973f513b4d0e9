/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main: the patchbot command line.  Global options, then one subcommand
 * from the table below; each has its own --help.  Exit codes: 0 ok,
 * 1 failure, 2 usage error.
 */
#include <getopt.h>
#include <git2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "config.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "queue.h"
#include "queueshow.h"
#include "report.h"
#include "daemon.h"
#include "smtp.h"
#include "show.h"
#include "source.h"
#include "store.h"
#include "util.h"

#define EXIT_USAGE 2

struct ctx {
	const char *config_path;
	bool config_explicit;
	struct config cfg;
};

struct subcommand {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
	const char *usage;
	const char *summary;
	const char *help;
};

static const struct subcommand *find_subcommand(const char *name);

static int usage_error(const struct subcommand *sc, const char *fmt, const char *arg)
{
	fprintf(stderr, "patchbot: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: %s\n", sc->usage);
	return EXIT_USAGE;
}

static int print_help(const struct subcommand *sc)
{
	printf("usage: %s\n\n%s\n", sc->usage, sc->help);
	return 0;
}

/* Options common to the subcommands: --help and the ones listed. */
static int wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	}
	return 0;
}

static int load_config(struct ctx *c)
{
	struct buf err = BUF_INIT(4096);

	if (config_load(&c->cfg, c->config_path, c->config_explicit, &err)) {
		error("%s", err.s);
		buf_release(&err);
		return -1;
	}
	buf_release(&err);
	if (c->cfg.nr_errors) {
		for (size_t i = 0; i < c->cfg.problems.nr; i++)
			error("%s", c->cfg.problems.v[i]);
		error("configuration '%s' has errors: see 'patchbot check'",
		      c->cfg.path ? c->cfg.path : "(defaults)");
		return -1;
	}
	return 0;
}

static int open_store(struct ctx *c, struct store *st)
{
	struct buf err = BUF_INIT(4096);

	if (store_open(st, c->cfg.bot_database, &err)) {
		error("%s", err.s);
		buf_release(&err);
		return -1;
	}
	buf_release(&err);
	return 0;
}

/* ---- ingest ---------------------------------------------------------- */

static void print_summary(const struct ingest_stats *s,
			  const struct dispatch_stats *d)
{
	printf("read %zu, new %zu, duplicate %zu\n", s->read, s->added, s->duplicate);
	printf("patches %zu, cover letters %zu, replies %zu, pull requests %zu, "
	       "other %zu, rejected %zu\n",
	       s->patches, s->covers, s->replies, s->pulls, s->other, s->rejected);
	if (d->commands || d->ignored || d->suppressed)
		printf("commands %zu, replies queued %zu, not answered %zu\n",
		       d->commands, d->replies, d->ignored + d->suppressed);
	for (size_t i = 0; i < s->reasons.nr; i++)
		printf("rejected %s\n", s->reasons.v[i]);
}

/*
 * Bulk import commits INGEST_BATCH messages at a time, with a page cache
 * of 32 MiB (the daemon keeps store_open's 16 MiB).  Each commit
 * writes every index page its batch touched (the Message-ID and path
 * indexes take keys in no order), so larger batches write fewer pages per
 * message, as long as a batch's pages fit in the cache (either change
 * alone gained nothing).  The git.git corpus (bench/ingest-bench.sh):
 * 500 and 16 MiB 9.8 s, 2,000 and 32 MiB 8.3 s, with 2.5 GB written
 * instead of 3.6 GB; peak RSS 59 -> 76 MiB.
 */
#define INGEST_BATCH 2000
#define INGEST_CACHE "PRAGMA cache_size = -32768"

static int cmd_ingest(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "batch", required_argument, NULL, 'b' },
		{ "react", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const struct subcommand *sc = find_subcommand("ingest");
	bool quiet = false, react = false;
	long batch = INGEST_BATCH;
	struct ingest in;
	struct store st;
	int opt, failed = 0;
	char *stdin_arg[] = { "-" };
	char **paths;
	int nr_paths;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "qb:r", opts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			quiet = true;
			break;
		case 'r':
			react = true;
			break;
		case 'b':
			batch = strtol(optarg, NULL, 10);
			if (batch < 1 || batch > 1000000)
				return usage_error(sc, "--batch '%s' is not a number from 1 to 1000000", optarg);
			break;
		default:
			return usage_error(sc, "%s", "unknown option");
		}
	}
	paths = argv + optind;
	nr_paths = argc - optind;
	if (!nr_paths) {
		paths = stdin_arg;
		nr_paths = 1;
	}
	if (load_config(c) || open_store(c, &st))
		return 1;
	/* the branches are derived state: repair them before changing more */
	queue_reconcile(&st, &c->cfg);
	if (store_exec(&st, INGEST_CACHE))
		log_warnx("the page cache stays at its default size");
	ingest_init(&in, &st, &c->cfg);
	in.batch = (size_t)batch;
	in.react = react;
	in.parse_ahead = true;
	{
		struct buf werr = BUF_INIT(1024);

		in.walsync = walsync_start(&st, WALSYNC_MAX_FRAMES, &werr);
		if (!in.walsync)
			log_debug(LOG_DB, "checkpoints stay in the writer: %s", werr.s);
		buf_release(&werr);
	}
	log_set_quiet(quiet);
	for (int i = 0; i < nr_paths; i++) {
		struct buf err = BUF_INIT(4096);
		/* one byte over the limit tells an oversize mail apart */
		struct mail_source *src = source_open(paths[i], in.limits.max_size + 1, &err);
		int r;

		if (!src) {
			error("%s", err.s);
			buf_release(&err);
			failed = 1;
			continue;
		}
		r = ingest_source(&in, src, !quiet && isatty(2), &err);
		src->free(src);
		if (r < 0) {
			if (err.len)
				error("%s", err.s);
			else
				error("ingest of '%s' stopped: the database failed", paths[i]);
			failed = 1;
		}
		buf_release(&err);
	}
	walsync_stop(in.walsync, NULL);
	if (!quiet)
		print_summary(&in.stats, &in.commands);
	ingest_release(&in);
	store_close(&st);
	return failed;
}

/*
 * The arguments of series, outbox and queue: "[--json] WHAT [ARG]".
 * *what defaults to "list"; arg may be NULL when no ARG is allowed.
 * Returns 0, or the usage exit status after saying what is wrong.
 */
static int parse_what(const struct subcommand *sc, int argc, char **argv,
		      bool *json, const char **what, const char **arg)
{
	*json = false;
	*what = NULL;
	if (arg)
		*arg = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			*json = true;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error(sc, "unknown option '%s'", argv[i]);
		else if (!*what)
			*what = argv[i];
		else if (arg && !*arg)
			*arg = argv[i];
		else
			return usage_error(sc, "too many arguments at '%s'", argv[i]);
	}
	if (!*what)
		*what = "list";
	return 0;
}

/* ---- series ---------------------------------------------------------- */

static int cmd_series(struct ctx *c, int argc, char **argv)
{
	const struct subcommand *sc = find_subcommand("series");
	bool json;
	const char *what, *which;
	struct store st;
	int r;

	if ((r = parse_what(sc, argc, argv, &json, &what, &which)))
		return r;
	if (strcmp(what, "list") && strcmp(what, "show"))
		return usage_error(sc, "unknown series command '%s'", what);
	if (!strcmp(what, "show") && !which)
		return usage_error(sc, "%s", "'series show' needs a series number or Message-ID");
	if (!strcmp(what, "list") && which)
		return usage_error(sc, "'series list' takes no argument '%s'", which);
	if (load_config(c) || open_store(c, &st))
		return 1;
	if (!strcmp(what, "list")) {
		r = show_series_list(&st, stdout, json) ? 1 : 0;
	} else {
		r = show_series(&st, which, stdout, json);
		if (r > 0)
			error("no series '%s': not a series number or a Message-ID in one", which);
		r = r ? 1 : 0;
	}
	store_close(&st);
	return r;
}

/* ---- outbox --------------------------------------------------------- */

static int cmd_outbox(struct ctx *c, int argc, char **argv)
{
	const struct subcommand *sc = find_subcommand("outbox");
	bool json;
	const char *what, *dir;
	struct store st;
	int r;

	if ((r = parse_what(sc, argc, argv, &json, &what, &dir)))
		return r;
	if ((!strcmp(what, "list") || !strcmp(what, "flush")) && dir)
		return usage_error(sc, "'outbox %s' takes no argument", what);
	if (!strcmp(what, "dump") && !dir)
		return usage_error(sc, "%s", "'outbox dump' needs a folder");
	if (!strcmp(what, "retry") && (!dir || strtoll(dir, NULL, 10) <= 0))
		return usage_error(sc, "%s", "'outbox retry' needs the ID of a mail");
	if (strcmp(what, "list") && strcmp(what, "dump") && strcmp(what, "flush") &&
	    strcmp(what, "retry"))
		return usage_error(sc, "unknown outbox command '%s'", what);
	if (load_config(c) || open_store(c, &st))
		return 1;
	if (!strcmp(what, "list")) {
		r = outbox_list(&st, stdout, json) ? 1 : 0;
	} else if (!strcmp(what, "retry")) {
		r = outbox_retry(&st, strtoll(dir, NULL, 10));
		if (!r)
			error("no pending or failed mail with ID %s in the outbox", dir);
		r = r == 1 ? 0 : 1;
	} else if (!strcmp(what, "flush")) {
		struct smtp_stats ss = { 0 };
		int64_t next = 0;

		smtp_global_init();
		if (!c->cfg.smtp_url) {
			error("missing 'smtp.url': nowhere to send the outbox");
			r = 1;
		} else {
			r = smtp_flush(&st, &c->cfg, &ss, &next) ? 1 : 0;
			printf("%zu sent, %zu deferred, %zu failed\n", ss.sent, ss.deferred,
			       ss.failed);
		}
	} else {
		struct buf err = BUF_INIT(4096);
		size_t n;

		if (outbox_dump(&st, dir, &n, &err)) {
			if (err.len)
				error("%s", err.s);
			r = 1;
		} else {
			printf("%zu mail(s) written to %s\n", n, dir);
		}
		buf_release(&err);
	}
	store_close(&st);
	return r;
}

/* ---- queue ---------------------------------------------------------- */

static int cmd_queue(struct ctx *c, int argc, char **argv)
{
	const struct subcommand *sc = find_subcommand("queue");
	const char *what;
	bool json;
	struct store st;
	int r;

	if ((r = parse_what(sc, argc, argv, &json, &what, NULL)))
		return r;
	if (strcmp(what, "list") && strcmp(what, "sync"))
		return usage_error(sc, "unknown queue command '%s'", what);
	if (json && strcmp(what, "list"))
		return usage_error(sc, "%s", "only 'queue list' takes --json");
	if (load_config(c) || open_store(c, &st))
		return 1;
	if (!strcmp(what, "sync"))
		r = queue_reconcile(&st, &c->cfg) ? 1 : 0;
	else
		r = queue_list(&st, &c->cfg, stdout, json) ? 1 : 0;
	store_close(&st);
	return r;
}

/* ---- report --------------------------------------------------------- */

static int cmd_report(struct ctx *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const struct subcommand *sc = find_subcommand("report");
	struct buf err = BUF_INIT(4096);
	const char *dir = NULL;
	struct store st;
	int opt, r;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "H:", opts, NULL)) != -1) {
		if (opt != 'H')
			return usage_error(sc, "%s", "unknown option");
		dir = optarg;
	}
	if (optind < argc)
		return usage_error(sc, "unexpected argument '%s'", argv[optind]);
	if (load_config(c))
		return 1;
	if (!dir)
		dir = c->cfg.report_html_dir;
	if (!dir || !*dir)
		return usage_error(sc, "%s", "no folder: give --html DIR or set 'report.htmlDir'");
	if (open_store(c, &st))
		return 1;
	r = report_write(&st, &c->cfg, dir, &err);
	if (r)
		error("%s", err.s);
	else
		printf("%s/%s written\n", dir, REPORT_INDEX);
	buf_release(&err);
	store_close(&st);
	return r ? 1 : 0;
}

/* ---- run, once ------------------------------------------------------ */

static int cmd_run(struct ctx *c, int argc, char **argv)
{
	if (argc > 1)
		return usage_error(find_subcommand(argv[0]), "unexpected argument '%s'", argv[1]);
	return daemon_main(c->config_path, c->config_explicit, !strcmp(argv[0], "once"));
}

/* ---- check ----------------------------------------------------------- */

static int cmd_check(struct ctx *c, int argc, char **argv)
{
	struct buf err = BUF_INIT(4096);
	size_t n;

	if (argc > 1)
		return usage_error(find_subcommand("check"), "unexpected argument '%s'", argv[1]);
	if (config_load(&c->cfg, c->config_path, c->config_explicit, &err)) {
		error("%s", err.s);
		buf_release(&err);
		return 1;
	}
	buf_release(&err);
	n = config_check(&c->cfg);
	for (size_t i = 0; i < c->cfg.problems.nr; i++)
		printf("%s: %s\n", c->cfg.path ? c->cfg.path : "(defaults)",
		       c->cfg.problems.v[i]);
	if (!n)
		printf("%s: ok\n", c->cfg.path ? c->cfg.path : "(defaults)");
	return n ? 1 : 0;
}

/* ---- help ------------------------------------------------------------ */

static int cmd_help(struct ctx *c, int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "ingest", cmd_ingest, "patchbot ingest [--quiet] [--batch N] [--react] [PATH|-]...",
	  "store mail from mbox files, Maildirs, folders, .eml files or stdin",
	  "Reads every message of each PATH through the same pipeline the IMAP\n"
	  "listener uses: parse, classify (patch, cover letter, reply, pull request,\n"
	  "other), group into series and versions, attach review trailers.\n"
	  "PATH is an mbox file (mboxo or mboxrd), a Maildir, a folder (walked for\n"
	  "mail files), a single message file, or - for standard input (the default).\n"
	  "Mail already stored (same Message-ID) is counted as duplicate; mail over a\n"
	  "limit or unparsable is stored as rejected with the reason.\n\n"
	  "Ingest only stores: commands in the mail are not run and no feedback or\n"
	  "notice is written, so importing an archive answers nothing.\n\n"
	  "  -q, --quiet    no progress line and no summary\n"
	  "  -b, --batch N  messages per database transaction (default 2000)\n"
	  "  -r, --react    run commands and write replies, feedback and notices,\n"
	  "                 as the daemon does" },
	{ "series", cmd_series, "patchbot series list [--json] | series show ID|MESSAGE-ID [--json]",
	  "list series, or show one with its versions, patches and trailers",
	  "'series list' prints every series: its versions, the newest version's\n"
	  "patches received of the total ('!' when incomplete), state, author, title.\n"
	  "'series show' takes a series number or the Message-ID of any of its mails\n"
	  "and prints every version (newest first) with its patches, files, hunk\n"
	  "functions and trailers.\n\n"
	  "  --json   machine-readable output" },
	{ "queue", cmd_queue, "patchbot queue list [--json] | queue sync",
	  "show the patch queue, or rebuild branches that differ from it",
	  "'queue list' prints each queue branch (tree.branch, top first) with its\n"
	  "series versions in order, their commit ranges, and the branch tip.\n"
	  "'queue sync' compares each branch with the queue state in the database,\n"
	  "rebuilds what differs and logs it (the daemon and 'ingest' do this at\n"
	  "start-up).\n\n"
	  "  --json   machine-readable output" },
	{ "report", cmd_report, "patchbot report [--html DIR]",
	  "write the HTML status page of the queue",
	  "Writes DIR/index.html, a static page (no JavaScript, no external\n"
	  "resources, readable on a phone) with each queue branch and its series\n"
	  "(version, author, age, trailers, commit ids), the complete series not\n"
	  "queued (newest version, feedback sent), recent queue history and series,\n"
	  "and subscription counts per path.  The file is replaced atomically, so a\n"
	  "web server never serves half a page.  With report.htmlDir set, 'run' and\n"
	  "'once' rewrite it after each change.\n\n"
	  "  --html DIR   the folder to write (default: report.htmlDir)" },
	{ "run", cmd_run, "patchbot run",
	  "the daemon: read mail over IMAP, answer over SMTP",
	  "Connects to imap.url, processes everything new, then waits with IDLE\n"
	  "(or polls) for more; delivers the outbox over smtp.url as it fills.\n"
	  "Network errors never end it: it reconnects with backoff.  SIGTERM or\n"
	  "SIGINT finish the message in hand and exit 0; SIGHUP reloads the\n"
	  "configuration." },
	{ "once", cmd_run, "patchbot once",
	  "fetch and process what is new, flush the outbox, exit (for cron and tests)",
	  "Like 'run', but returns after one round.  Exit status 1 when the IMAP\n"
	  "server could not be read." },
	{ "outbox", cmd_outbox,
	  "patchbot outbox list [--json] | outbox dump DIR | outbox flush | outbox retry ID",
	  "show, write out, send or retry the mail waiting to be sent",
	  "'outbox list' prints each mail patchbot has written (transcripts,\n"
	  "notices) with its state, recipients, subject and last error.\n"
	  "'outbox dump DIR' writes each pending mail to DIR/ID.eml.\n"
	  "'outbox flush' sends what is due over smtp.url now.\n"
	  "'outbox retry ID' makes a failed or deferred mail due again.\n\n"
	  "  --json   machine-readable output" },
	{ "check", cmd_check, "patchbot check",
	  "validate the configuration",
	  "Reads the configuration and reports each problem with its key: unknown\n"
	  "keys, bad values, and what the daemon will need (addresses, URLs, password\n"
	  "files, the repository and its base).  Exit status 1 when there are problems." },
	{ "help", cmd_help, "patchbot help [SUBCOMMAND | config [--tsv] | commands [--tsv]]",
	  "show help for patchbot or one subcommand",
	  "'help config' lists every configuration key with its type, default\n"
	  "and meaning.  'help commands' lists the commands patchbot takes by mail,\n"
	  "with who may give them.\n\n"
	  "  --tsv   one line each, fields separated by tabs (the man pages are\n"
	  "          made from it): key, type, default ('-' for none), meaning;\n"
	  "          or command, usage, who may, summary" },
};
#define NR_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++)
		if (!strcmp(subcommands[i].name, name))
			return &subcommands[i];
	return NULL;
}

static void main_usage(FILE *out)
{
	fprintf(out,
		"usage: patchbot [-c FILE] [-v] SUBCOMMAND [ARGS]\n"
		"       patchbot --version | --help\n\n"
		"  -c, --config FILE  configuration file (default $PATCHBOT_CONFIG, else\n"
		"                     " CONFIG_DEFAULT_PATH ")\n"
		"  -v, --verbose      debug output (repeat for more)\n\n"
		"subcommands:\n");
	for (size_t i = 0; i < NR_SUBCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\n'patchbot SUBCOMMAND --help' for more.  Exit status: 0 ok, "
		     "1 failure, 2 usage error.\n");
}

static void print_key(const char *name, const char *type, const char *def,
		      const char *help, void *payload)
{
	const bool *tsv = payload;

	if (*tsv)
		printf("%s\t%s\t%s\t%s\n", name, type, def ? def : "-", help);
	else
		printf("%-26s %-15s %-12s %s\n", name, type, def ? def : "-", help);
}

/* Who may give a mail command, in the words of the README and the man page. */
static const char *command_who(const struct command *cmd)
{
	bool auth = cmd->needs & NEEDS_AUTH;

	switch (cmd->role) {
	case ROLE_MAINTAINER:
		return auth ? "maintainer, authenticated" : "maintainer";
	case ROLE_SUBMITTER:
		return auth ? "submitter, authenticated" : "submitter";
	case ROLE_ANYONE:
		break;
	}
	return auth ? "anyone, authenticated" : "anyone";
}

static void print_commands(bool tsv)
{
	for (size_t i = 0; command_table[i]; i++) {
		const struct command *cmd = command_table[i];

		if (tsv)
			printf("%s\t%s\t%s\t%s\n", cmd->name, cmd->usage,
			       command_who(cmd), cmd->summary);
		else
			printf("%-32s %-26s %s\n", cmd->usage, command_who(cmd),
			       cmd->summary);
	}
}

static int cmd_help(struct ctx *c, int argc, char **argv)
{
	const struct subcommand *sc;

	if (argc < 2) {
		main_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "config") || !strcmp(argv[1], "commands")) {
		bool tsv = false;

		for (int i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--tsv"))
				return usage_error(find_subcommand("help"),
						   "unknown option '%s'", argv[i]);
			tsv = true;
		}
		if (!strcmp(argv[1], "config"))
			config_key_foreach(print_key, &tsv);
		else
			print_commands(tsv);
		return 0;
	}
	sc = find_subcommand(argv[1]);
	if (!sc) {
		fprintf(stderr, "patchbot: unknown subcommand '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	return print_help(sc);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { 0 };
	const struct subcommand *sc;
	int opt, verbose = 0, r;

	/* stop at the first non-option: the rest belongs to the subcommand */
	while ((opt = getopt_long(argc, argv, "+c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			c.config_path = optarg;
			c.config_explicit = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("patchbot %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			main_usage(stdout);
			return 0;
		default:
			main_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!c.config_path && getenv("PATCHBOT_CONFIG") && *getenv("PATCHBOT_CONFIG")) {
		c.config_path = getenv("PATCHBOT_CONFIG");
		c.config_explicit = true;
	}
	if (optind >= argc) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	sc = find_subcommand(argv[optind]);
	if (!sc) {
		fprintf(stderr, "patchbot: unknown subcommand '%s'\n\n", argv[optind]);
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (wants_help(argc - optind, argv + optind))
		return print_help(sc);
	log_init(verbose, LOG_ALL);
	git_libgit2_init();
	r = sc->fn(&c, argc - optind, argv + optind);
	config_release(&c.cfg);
	git_libgit2_shutdown();
	return r;
}
