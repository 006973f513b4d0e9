/* SPDX-License-Identifier: GPL-2.0-or-later */
/* maintainers: parse MAINTAINERS and match files against it (see .h). */
#include "maintainers.h"

#include <git2.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "header.h"
#include "log.h"
#include "util.h"

/* Bounds against a garbage file: entries kept per section, line length. */
#define MAX_ENTRIES 2000
#define MAX_LINE 4096
/* K: regexes look at this much of a patch at most. */
#define MAX_CONTENT (1u << 20)

struct regex_list {
	regex_t *v;
	size_t nr, alloc;
};

struct section {
	char *title;
	struct strlist m, r, l;  /* M:, R:, L: values as written */
	struct strlist f, x;     /* F:, X: globs */
	struct regex_list n, k;  /* N:, K: */
};

struct maintainers {
	struct section *v;
	size_t nr, alloc;
};

/* The usual single-backtrack loop: never exponential in the stars. */
int maintainers_wild_match(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return !*p;
}

static size_t count_slashes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '/';
	return n;
}

int maintainers_glob_match(const char *pattern, const char *path)
{
	size_t len = strlen(pattern);
	char *prefix;
	int r;

	if (!len || len > MAX_LINE)
		return 0;
	/* get_maintainer.pl anchors only the start: a match of any prefix */
	prefix = xasprintf("%s*", pattern);
	r = maintainers_wild_match(prefix, path);
	free(prefix);
	if (pattern[len - 1] == '/')
		return r;
	if (r && count_slashes(pattern) == count_slashes(path))
		return 1;
	/* a directory named without its '/' (get_maintainer.pl asks -d) */
	return !strpbrk(pattern, "*?") && !strncmp(path, pattern, len) &&
	       path[len] == '/';
}

/*
 * glibc's regcomp() takes memory exponential in stacked repetitions: the
 * fuzzer found that "r+++...+" (40 of them) needs gigabytes.  Real N: and
 * K: lines are short and never stack quantifiers, so refuse what could
 * blow up: long patterns, a quantifier right after another, big bounds.
 */
static int regex_is_tame(const char *re)
{
	int after_quantifier = 0;

	if (strlen(re) > 256)
		return 0;
	for (const char *p = re; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			after_quantifier = 0;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			if (after_quantifier)
				return 0;
			if (*p == '{') {
				for (const char *q = p + 1; *q && *q != '}'; q++)
					if (*q >= '0' && *q <= '9' && atoi(q) > 64)
						return 0;
				while (*p && *p != '}')
					p++;
				if (!*p)
					return 0;
			}
			after_quantifier = 1;
			continue;
		}
		after_quantifier = 0;
	}
	return 1;
}

static void regex_add(struct regex_list *l, const char *value)
{
	if (l->nr >= MAX_ENTRIES || !regex_is_tame(value))
		return;
	ALLOC_GROW(l->v, l->nr + 1, l->alloc);
	if (regcomp(&l->v[l->nr], value, REG_EXTENDED | REG_NOSUB)) {
		log_debug(LOG_GIT, "MAINTAINERS: skipping regex '%s'", value);
		return;
	}
	l->nr++;
}

static void regex_release(struct regex_list *l)
{
	for (size_t i = 0; i < l->nr; i++)
		regfree(&l->v[i]);
	free(l->v);
}

static void push_bounded(struct strlist *l, const char *value)
{
	if (l->nr < MAX_ENTRIES && *value)
		strlist_push(l, value);
}

static void add_field(struct section *s, char type, const char *value)
{
	switch (type) {
	case 'M': push_bounded(&s->m, value); break;
	case 'R': push_bounded(&s->r, value); break;
	case 'L': push_bounded(&s->l, value); break;
	case 'F': push_bounded(&s->f, value); break;
	case 'X': push_bounded(&s->x, value); break;
	case 'N': regex_add(&s->n, value); break;
	case 'K': regex_add(&s->k, value); break;
	default: break; /* S:, T:, W:, B:, C:, P:, Q: say nothing of Cc's */
	}
}

static void parse_line(struct maintainers *mt, struct section **cur,
		       const char *line)
{
	char *value;

	if (!*line) {
		*cur = NULL;
		return;
	}
	if (line[0] >= 'A' && line[0] <= 'Z' && line[1] == ':' &&
	    (line[2] == ' ' || line[2] == '\t' || !line[2])) {
		if (!*cur)
			return;
		value = str_trim_dup(line + 2, strlen(line + 2));
		add_field(*cur, line[0], value);
		free(value);
		return;
	}
	/* indented text is the preamble's prose, not a section */
	if (line[0] == ' ' || line[0] == '\t')
		return;
	ALLOC_GROW(mt->v, mt->nr + 1, mt->alloc);
	*cur = &mt->v[mt->nr++];
	memset(*cur, 0, sizeof(**cur));
	(*cur)->title = str_trim_dup(line, strlen(line));
}

int maintainers_parse(struct maintainers **out, const char *text, size_t len,
		      struct buf *err)
{
	struct maintainers *mt;
	struct section *cur = NULL;
	const char *p = text, *end = text + len;
	char line[MAX_LINE + 1];

	*out = NULL;
	if (len > MAINTAINERS_MAX_SIZE) {
		buf_addf(err, "MAINTAINERS is too large (%zu bytes, at most %u)",
			 len, MAINTAINERS_MAX_SIZE);
		return -1;
	}
	if (memchr(text, '\0', len)) {
		buf_adds(err, "MAINTAINERS is not a text file (it holds NUL bytes)");
		return -1;
	}
	mt = xcalloc(1, sizeof(*mt));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* an overlong line is cut: it can only be garbage */
		size_t cut = l > MAX_LINE ? MAX_LINE : l;

		memcpy(line, p, cut);
		if (cut && line[cut - 1] == '\r')
			cut--;
		line[cut] = '\0';
		parse_line(mt, &cur, line);
		p += l + (nl != NULL);
	}
	*out = mt;
	return 0;
}

int maintainers_load(struct maintainers **out, const char *repo_path,
		     const char *rev, struct buf *err)
{
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	int r = -1;

	*out = NULL;
	if (git_repository_open_ext(&repo, repo_path,
				    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		buf_addf(err, "cannot open repository '%s'", repo_path);
		return -1;
	}
	if (git_revparse_single(&obj, repo, rev) < 0 ||
	    git_object_peel((git_object **)&tree, obj, GIT_OBJECT_TREE) < 0) {
		buf_addf(err, "'%s' is not a revision in '%s'", rev, repo_path);
		goto out;
	}
	if (git_tree_entry_bypath(&te, tree, "MAINTAINERS") < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		r = 0;
		goto out;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(te)) < 0) {
		buf_addf(err, "cannot read MAINTAINERS at '%s' in '%s'", rev, repo_path);
		goto out;
	}
	if (git_blob_rawsize(blob) > MAINTAINERS_MAX_SIZE) {
		buf_addf(err, "MAINTAINERS at '%s' is too large (%llu bytes, at most %u)",
			 rev, (unsigned long long)git_blob_rawsize(blob),
			 MAINTAINERS_MAX_SIZE);
		goto out;
	}
	if (!maintainers_parse(out, git_blob_rawcontent(blob),
			       (size_t)git_blob_rawsize(blob), err))
		r = 1;
out:
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_object_free(obj);
	git_repository_free(repo);
	return r;
}

void maintainers_free(struct maintainers *mt)
{
	if (!mt)
		return;
	for (size_t i = 0; i < mt->nr; i++) {
		struct section *s = &mt->v[i];

		free(s->title);
		strlist_clear(&s->m);
		strlist_clear(&s->r);
		strlist_clear(&s->l);
		strlist_clear(&s->f);
		strlist_clear(&s->x);
		regex_release(&s->n);
		regex_release(&s->k);
	}
	free(mt->v);
	free(mt);
}

size_t maintainers_nr_sections(const struct maintainers *mt)
{
	return mt ? mt->nr : 0;
}

/*
 * "Name <addr>", "addr (moderated for non-subscribers)" or a bare addr:
 * the address and the name; 0 when there is no usable address.
 */
static int split_address(const char *value, char **name, char **addr)
{
	const char *lt = strchr(value, '<'), *gt;

	*name = *addr = NULL;
	if (lt && (gt = strchr(lt, '>'))) {
		const char *n = value, *ne = lt;

		*addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		while (n < ne && (*n == '"' || *n == ' ' || *n == '\t'))
			n++;
		while (ne > n && (ne[-1] == '"' || ne[-1] == ' ' || ne[-1] == '\t'))
			ne--;
		*name = xstrndup(n, (size_t)(ne - n));
	} else {
		size_t l = strcspn(value, " \t(");

		*addr = xstrndup(value, l);
		*name = xstrdup("");
	}
	str_lower(*addr);
	if (!strchr(*addr, '@') || !header_addr_ok(*addr)) {
		free(*name);
		free(*addr);
		*name = *addr = NULL;
		return 0;
	}
	return 1;
}

static void add_entries(struct maintainers_result *r, const struct section *s,
			const struct strlist *values, const char *role)
{
	for (size_t i = 0; i < values->nr; i++) {
		struct maintainers_entry *e;
		char *name, *addr;
		size_t j;

		if (!split_address(values->v[i], &name, &addr))
			continue;
		for (j = 0; j < r->nr; j++)
			if (!strcmp(r->v[j].addr, addr))
				break;
		if (j < r->nr) {
			free(name);
			free(addr);
			continue;
		}
		ALLOC_GROW(r->v, r->nr + 1, r->alloc);
		e = &r->v[r->nr++];
		e->role = role;
		e->name = name;
		e->addr = addr;
		e->section = xstrdup(s->title);
	}
}

static void add_section(struct maintainers_result *r, const struct section *s,
			int lists_only)
{
	if (!lists_only) {
		add_entries(r, s, &s->m, "maintainer");
		add_entries(r, s, &s->r, "reviewer");
	}
	add_entries(r, s, &s->l, "list");
}

void maintainers_for_file(const struct maintainers *mt, const char *path,
			  struct maintainers_result *r)
{
	if (!mt || !path)
		return;
	for (size_t i = 0; i < mt->nr; i++) {
		const struct section *s = &mt->v[i];
		int matched = 0, catchall_only = 1, excluded = 0;

		for (size_t j = 0; j < s->x.nr && !excluded; j++)
			excluded = maintainers_glob_match(s->x.v[j], path);
		if (excluded)
			continue;
		for (size_t j = 0; j < s->f.nr; j++) {
			if (!maintainers_glob_match(s->f.v[j], path))
				continue;
			matched = 1;
			if (s->f.v[j][0] != '*')
				catchall_only = 0;
		}
		for (size_t j = 0; j < s->n.nr; j++)
			if (!regexec(&s->n.v[j], path, 0, NULL, 0))
				matched = 1, catchall_only = 0;
		if (matched)
			add_section(r, s, catchall_only);
	}
}

void maintainers_for_content(const struct maintainers *mt, const char *content,
			     struct maintainers_result *r)
{
	char *copy;

	if (!mt || !content)
		return;
	copy = xstrndup(content, strnlen(content, MAX_CONTENT));
	for (size_t i = 0; i < mt->nr; i++) {
		const struct section *s = &mt->v[i];

		for (size_t j = 0; j < s->k.nr; j++) {
			if (regexec(&s->k.v[j], copy, 0, NULL, 0))
				continue;
			add_section(r, s, 0);
			break;
		}
	}
	free(copy);
}

void maintainers_result_release(struct maintainers_result *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		free(r->v[i].name);
		free(r->v[i].addr);
		free(r->v[i].section);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}
