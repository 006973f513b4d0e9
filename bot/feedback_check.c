/* SPDX-License-Identifier: GPL-2.0-or-later */
/* feedback_check: word heuristics on changelogs, and routing rules. */
#include "feedback_check.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maintainers.h"

/*
 * Term lists.  A term matches at a word start; "stem*" also matches
 * longer words ("corrupt*": corrupted, corruption); a term starting with
 * '=' is matched case-sensitively ("=BUG:" is a splat, "bug" is not).
 */

/* The subject says it fixes something. */
static const char *const fix_title_terms[] = {
	"fix*", "bugfix*", "hotfix*", "correct", "corrects", "correctly",
	NULL,
};

/* The changelog says it fixes something. */
static const char *const fix_body_terms[] = {
	"this fixes", "this patch fixes", "this commit fixes", "fix it by",
	"fix this by", "fixes the bug", "fixes a bug", "fix the bug",
	"fixes an issue", "fixes the issue", "fix the issue", "fixes the problem",
	"fix the problem", "fixes a regression", "fixes a race", "in order to fix",
	NULL,
};

/* Not a fix of the running kernel: words a cleanup's subject uses. */
static const char *const cosmetic_terms[] = {
	"typo*", "spelling", "comment*", "kernel-doc", "kerneldoc",
	"checkpatch", "whitespace", "coding style", "documentation", NULL,
};

/* A fix of the build: the compiler's message is the visible effect. */
static const char *const build_terms[] = {
	"build", "builds", "compile", "compiler", "compilation", "link error",
	"=-W*", "randconfig", "sparse", "smatch", "coccinelle", "coccicheck",
	"objtool", NULL,
};

/* What a user sees, other than speed: the symptom. */
static const char *const symptom_terms[] = {
	"crash*", "hang", "hangs", "hung", "deadlock*", "lockup*", "livelock*",
	"stall*", "oops*", "=BUG:", "=BUG_ON", "=BUG()", "=WARNING:", "=WARN_ON*",
	"=WARN()", "splat*", "panic*", "data loss", "lose data", "loses data",
	"lost data", "lost writes", "corrupt*", "wrong result*", "wrong value*",
	"incorrect result*", "incorrect value*", "leak*", "use-after-free",
	"null pointer dereference", "null-ptr-deref", "general protection fault",
	"unable to handle", "page fault", "out-of-bounds", "slab-out-of-bounds",
	"call trace", "kasan", "kmsan", "ubsan", "kcsan", "lockdep",
	"soft lockup", "hard lockup", "rcu stall", "oom", "out of memory",
	"infinite loop", "reboot*", "freez*", "hung_task", "softlockup",
	"double free", "segfault*", "sigsegv", "sigbus", "killed", "fails",
	"failed", "failure*", "returns -e*", "returned -e*", "error:",
	"warning:", NULL,
};

/* When and how it shows: says something a user can recognise too. */
static const char *const context_terms[] = {
	"regression*", "triggers when", "triggered when", "triggered by",
	"happens when", "occurs when", "can be triggered", "since v*",
	"since commit", "since linux", "reproduc*", "workload*", "users see",
	"user-visible", "user visible", "observed", "we hit", "we see",
	"we saw", "customers", "xfstests", "fstests", "ltp", "selftest*",
	NULL,
};

/* What a user sees about speed. */
static const char *const perf_terms[] = {
	"latency", "latencies", "throughput", "performance", "slowdown*",
	"slower", "faster", "speedup", "speed up", "speeds up", "cpu time",
	"cpu usage", "overhead", "mb/s", "gb/s", "iops", "ops/s", "ops/sec",
	"fio", "will-it-scale", "hackbench", "stress-ng", "benchmark*",
	"cycles", "microseconds", "usec", "msec", NULL,
};

/* The changelog says who can trigger the bug. */
static const char *const security_terms[] = {
	"privilege*", "unprivileged", "user space", "userspace", "user-space",
	"from user", "=CAP_", "capabilit*", "as root", "needs root", "requires root", "local user*", "security",
	"cve-*", "exploit*", "attacker*", "malicious", "not reachable",
	"cannot be triggered", "can't be triggered", "only be triggered",
	"untrusted", NULL,
};

static bool is_word(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does term (see above) occur in text? */
static bool has_term(const char *text, const char *term)
{
	bool exact = term[0] == '=', prefix;
	const char *t = term + exact;
	size_t len = strlen(t);
	char word[64];

	prefix = len && t[len - 1] == '*';
	if (prefix)
		len--;
	if (!len || len >= sizeof(word))
		return false;
	memcpy(word, t, len);
	word[len] = '\0';
	for (const char *p = text; (p = exact ? strstr(p, word) : strcasestr(p, word)); p++) {
		/* a term that starts or ends in punctuation needs no boundary */
		bool start_ok = p == text || !is_word(p[-1]) || !is_word(word[0]);
		bool end_ok = prefix || !is_word(word[len - 1]) || !is_word(p[len]);

		if (start_ok && end_ok)
			return true;
	}
	return false;
}

static bool has_any(const char *text, const char *const *terms)
{
	for (size_t i = 0; terms[i]; i++)
		if (has_term(text, terms[i]))
			return true;
	return false;
}

/* A "Key: value" trailer line, or the in-body From of a forwarded patch. */
static bool is_tag_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '-'))
		i++;
	return i > 1 && i < len && line[i] == ':' && isalpha((unsigned char)line[0]) &&
	       (i + 1 == len || line[i + 1] == ' ');
}

static bool tag_is(const char *line, const char *key)
{
	return starts_with_icase(line, key);
}

void changelog_read(const char *title, const char *changelog,
		    struct changelog_facts *f)
{
	struct buf prose = BUF_INIT(BUF_NOLIMIT);
	const char *p = changelog ? changelog : "";
	bool cosmetic, symptom, perf;

	memset(f, 0, sizeof(*f));
	title = title ? title : "";
	/* tags decide "fix"; prose and subject say what a user sees */
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (is_tag_line(p, len)) {
			if (tag_is(p, "Fixes:") || tag_is(p, "Closes:") ||
			    tag_is(p, "Reported-by:") ||
			    (tag_is(p, "Cc:") && has_term(p, "stable@*")))
				f->fix = true;
		} else {
			buf_add(&prose, p, len);
			buf_addch(&prose, '\n');
		}
		p += len + (nl != NULL);
	}
	cosmetic = has_any(title, cosmetic_terms);
	if (!cosmetic && (has_any(title, fix_title_terms) ||
			  has_any(prose.s, fix_body_terms)))
		f->fix = true;
	buf_adds(&prose, title);
	f->build_fix = f->fix && has_any(title, build_terms);
	symptom = has_any(prose.s, symptom_terms);
	perf = has_any(prose.s, perf_terms);
	f->effect = symptom || perf || has_any(prose.s, context_terms);
	f->perf_only = perf && !symptom;
	f->security = has_any(prose.s, security_terms);
	buf_release(&prose);
}

bool changelog_wants_effect(const struct changelog_facts *f)
{
	return f->fix && !f->effect && !f->build_fix;
}

bool changelog_wants_security(const struct changelog_facts *f)
{
	return f->fix && !f->security && !f->perf_only && !f->build_fix;
}

/* "Name <addr>" or "addr" into new strings; addr lowercased. */
static void split_person(const char *v, char **name, char **addr)
{
	const char *lt = strchr(v, '<'), *gt = lt ? strchr(lt, '>') : NULL;

	if (lt && gt) {
		char *n = str_trim_dup(v, (size_t)(lt - v));
		size_t l = strlen(n);

		if (l >= 2 && n[0] == '"' && n[l - 1] == '"') {
			memmove(n, n + 1, l - 2);
			n[l - 2] = '\0';
		}
		*name = n;
		*addr = str_lower(str_trim_dup(lt + 1, (size_t)(gt - lt - 1)));
	} else if (strchr(v, '@')) {
		*name = xstrdup("");
		*addr = str_lower(str_trim_dup(v, strlen(v)));
	} else {
		*name = str_trim_dup(v, strlen(v));
		*addr = xstrdup("");
	}
}

void changelog_author(const char *changelog, const char *from_name,
		      const char *from_addr, char **name, char **addr)
{
	const char *p = changelog ? changelog : "";

	while (*p == '\n' || *p == ' ' || *p == '\t')
		p++;
	if (starts_with_icase(p, "From:")) {
		size_t len = strcspn(p, "\n");
		char *v = xstrndup(p + 5, len - 5);

		split_person(v, name, addr);
		free(v);
		if (**addr)
			return;
		free(*name);
		free(*addr);
	}
	*name = xstrdup(from_name ? from_name : "");
	*addr = str_lower(xstrdup(from_addr ? from_addr : ""));
}

bool changelog_signed_by(const char *changelog, const char *name,
			 const char *addr)
{
	const char *p = changelog ? changelog : "";
	bool ok = false;

	while (*p && !ok) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len > 14 && !strncasecmp(p, "Signed-off-by:", 14)) {
			char *v = xstrndup(p + 14, len - 14), *n, *a;

			split_person(v, &n, &a);
			ok = (*a && addr && !strcasecmp(a, addr)) ||
			     (*n && name && *name && !strcasecmp(n, name));
			free(v);
			free(n);
			free(a);
		}
		p += len + (nl != NULL);
	}
	return ok;
}

/* A maintainer asking for the next version. */
static const char *const resend_terms[] = {
	"resend", "re-send", "send a v*", "send v*", "send a new version",
	"send an updated version", "send a new revision", "new version",
	"respin*", "re-spin*", "repost", NULL,
};

bool reply_asks_resend(const char *body)
{
	const char *p = body ? body : "";
	bool asked = false;

	while (*p && !asked) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (*p != '>') {
			char *line = xstrndup(p, len);

			asked = has_any(line, resend_terms);
			free(line);
		}
		p += len + (nl != NULL);
	}
	return asked;
}

int feedback_route_parse(const char *spec, struct feedback_route *r,
			 struct buf *err)
{
	const char *bar = strchr(spec, '|'), *p = spec;

	memset(r, 0, sizeof(*r));
	if (!bar) {
		buf_addf(err, "route '%s' has no '|' between its patterns and its text",
			 spec);
		return -1;
	}
	while (p < bar) {
		size_t len;

		while (p < bar && isspace((unsigned char)*p))
			p++;
		len = 0;
		while (p + len < bar && !isspace((unsigned char)p[len]))
			len++;
		if (len) {
			char *pat = xstrndup(p, len);

			strlist_push(&r->patterns, pat);
			free(pat);
		}
		p += len;
	}
	r->text = str_trim_dup(bar + 1, strlen(bar + 1));
	if (!r->patterns.nr || !*r->text || has_crlf(r->text)) {
		buf_addf(err, "route '%s' needs patterns before '|' and one line of text after it",
			 spec);
		feedback_route_release(r);
		return -1;
	}
	return 0;
}

void feedback_route_release(struct feedback_route *r)
{
	strlist_clear(&r->patterns);
	free(r->text);
	r->text = NULL;
}

bool feedback_route_match(const struct feedback_route *r, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < r->patterns.nr; i++) {
		const char *pat = r->patterns.v[i];

		if (strchr(pat, '/') ? maintainers_glob_match(pat, path)
				     : maintainers_wild_match(pat, base))
			return true;
	}
	return false;
}
