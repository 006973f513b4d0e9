/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * parse: find the command lines in the text a sender wrote (see parse.h).
 *
 * Decisions beyond parse.h, each for a reason given where it is coded:
 *  - the sender's text ends at an original the client left unquoted
 *    (Outlook's "-----Original Message-----", its "____" rule or
 *    From:/Sent: block, a forward, or an attribution line followed by
 *    unquoted text); an attribution followed by quotes is an inline reply
 *    and the scan goes on;
 *  - "thanks", "quit", "stop" end it with one optional ".", "!" or ","
 *    ("Thanks," before a name ends it too), but a later "-- " still opens
 *    the signature, where the prefixed form counts;
 *  - "#patchbot:" is read as "#patchbot";
 *  - a hard-wrapped long command line takes back its tail only where that
 *    is unambiguous (see continuation());
 *  - one scan, each line looked at a bounded number of times: linear.
 */
#include "parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "util.h"

#define DEFAULT_MAX_COMMANDS 20
#define DEFAULT_MAX_LINE 1000
/*
 * Mail clients hard-wrap at 72 to 78 columns; a command line shorter than
 * this was not wrapped, so the line after it is never its continuation.
 */
#define WRAP_MIN_WIDTH 60
/* No command name is this long; longer first words skip is_command(). */
#define WORD_MAX 64

struct span {
	const char *s;
	size_t len;
};

enum region {
	REGION_TEXT,      /* the sender's text: both forms count */
	REGION_SIGNATURE, /* after "-- ": only the prefixed form counts */
	REGION_ENDED,     /* after "thanks": nothing counts */
};

struct scan {
	const char *text;
	size_t len;
	size_t pos; /* start of the line after the current one */
	const struct cmdparse_opts *o;
	size_t max_commands, max_line;
	struct buf line; /* the current line, sanitised and trimmed */
	struct buf cont; /* a continuation line, likewise */
};

/* ---- lines ------------------------------------------------------------ */

/*
 * The line at *pos without its newline (nor a CR before it); *pos moves
 * past it.  Returns 0 at the end of the text.
 */
static int get_line(const char *text, size_t len, size_t *pos, struct span *l)
{
	const char *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	nl = memchr(text + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - text) - *pos : len - *pos;
	l->s = text + *pos;
	l->len = n;
	*pos += n + (nl ? 1 : 0);
	if (l->len && l->s[l->len - 1] == '\r')
		l->len--;
	return 1;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static struct span trim(struct span l)
{
	while (l.len && is_ws(*l.s))
		l.s++, l.len--;
	while (l.len && is_ws(l.s[l.len - 1]))
		l.len--;
	return l;
}

static int is_blank(struct span l)
{
	return !trim(l).len;
}

/* Quoted: ">" after optional white space (as mail clients indent quotes). */
static int is_quoted(struct span l)
{
	struct span t = trim(l);

	return t.len && t.s[0] == '>';
}

/* "-- " exactly, and "--" whose trailing space an editor or MTA ate. */
static int is_sig_separator(struct span l)
{
	size_t i;

	if (l.len < 2 || l.s[0] != '-' || l.s[1] != '-')
		return 0;
	for (i = 2; i < l.len; i++)
		if (!is_ws(l.s[i]))
			return 0;
	return 1;
}

static int span_eq_icase(struct span l, const char *word)
{
	size_t n = strlen(word);

	return l.len == n && !strncasecmp(l.s, word, n);
}

static int starts_icase(struct span l, const char *p)
{
	size_t n = strlen(p);

	return l.len >= n && !strncasecmp(l.s, p, n);
}

static int ends_with(struct span l, const char *p)
{
	size_t n = strlen(p);

	return l.len >= n && !memcmp(l.s + l.len - n, p, n);
}

/*
 * "thanks", "quit" or "stop" alone, as control@bugs.debian.org reads them,
 * with one trailing ".", "!" or ",": "Thanks," above a name is a sign-off,
 * and what follows a sign-off is not text the sender means as commands.
 */
static int is_end_word(struct span l)
{
	struct span t = trim(l);

	if (t.len && (t.s[t.len - 1] == '.' || t.s[t.len - 1] == '!' ||
		      t.s[t.len - 1] == ','))
		t.len--;
	return span_eq_icase(t, "thanks") || span_eq_icase(t, "quit") ||
	       span_eq_icase(t, "stop");
}

static int is_underscore_rule(struct span l)
{
	struct span t = trim(l);
	size_t i;

	if (t.len < 10)
		return 0;
	for (i = 0; i < t.len; i++)
		if (t.s[i] != '_')
			return 0;
	return 1;
}

static int is_header_line(struct span l, const char *const *names)
{
	struct span t = trim(l);

	for (; *names; names++)
		if (starts_icase(t, *names))
			return 1;
	return 0;
}

static const char *const from_names[] = { "From:", "Von:", "De :", "De:",
					  NULL };
static const char *const sent_names[] = { "Sent:", "Gesendet:", "Envoyé :",
					  "Envoyé:", NULL };

/*
 * Where a client puts the original below the reply WITHOUT quoting it
 * ("-----Original Message-----", Outlook's rule and header block, a
 * forward): nothing below is the sender's text.  next may be NULL.
 */
static int is_original_marker(struct span l, const struct span *next)
{
	static const char *const titles[] = {
		"original message", "ursprüngliche nachricht",
		"message d'origine", "forwarded message", NULL
	};
	struct span t = trim(l);
	const char *const *p;
	size_t dashes = 0;

	while (t.len && t.s[0] == '-')
		t.s++, t.len--, dashes++;
	if (dashes >= 2) {
		while (t.len && t.s[t.len - 1] == '-')
			t.len--;
		t = trim(t);
		for (p = titles; *p; p++)
			if (span_eq_icase(t, *p))
				return 1;
	}
	if (span_eq_icase(trim(l), "Begin forwarded message:"))
		return 1;
	if (!next)
		return 0;
	if (is_underscore_rule(l) && is_header_line(*next, from_names))
		return 1;
	return is_header_line(l, from_names) &&
	       is_header_line(*next, sent_names);
}

/* The first line of an attribution, in the languages we meet on lists. */
static int attribution_start(struct span t)
{
	return starts_icase(t, "On ") || starts_icase(t, "Am ") ||
	       starts_icase(t, "Le ");
}

static int attribution_end(struct span first, struct span last)
{
	if (ends_with(last, "wrote:"))
		return starts_icase(first, "On ") ||
		       memchr(last.s, '@', last.len) != NULL;
	if (starts_icase(first, "Am ") && ends_with(last, ":"))
		return memmem(first.s, first.len, "schrieb", 7) ||
		       memmem(last.s, last.len, "schrieb", 7);
	if (starts_icase(first, "Le "))
		return ends_with(last, "écrit :") ||
		       ends_with(last, "écrit:");
	return 0;
}

/*
 * Is l an attribution ("On Mon, 1 Jan 2024, Jane <jane@x.org> wrote:"),
 * alone or wrapped onto next?  Returns the number of lines it takes (0:
 * not one).  next may be NULL.
 */
static int attribution(struct span l, const struct span *next, size_t max)
{
	struct span t = trim(l), n;

	if (attribution_end(t, t))
		return 1;
	if (!next || !attribution_start(t) || next->len > max ||
	    is_quoted(*next))
		return 0;
	n = trim(*next);
	return n.len && attribution_end(t, n) ? 2 : 0;
}

/* ---- sanitising ------------------------------------------------------- */

/* Invisible characters that would make the echo differ from what acts. */
static int is_invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) ||       /* C1 controls */
	       (cp >= 0x200b && cp <= 0x200f) ||   /* zero width, LRM, RLM */
	       (cp >= 0x202a && cp <= 0x202e) ||   /* bidi embeddings */
	       (cp >= 0x2066 && cp <= 0x2069) ||   /* bidi isolates */
	       cp == 0x2060 || cp == 0xfeff;
}

/*
 * The text of l as it will be echoed in the transcript and split into
 * words: control characters other than tab dropped, invalid UTF-8 replaced
 * by U+FFFD, a no-break space made a space, trimmed.
 */
static void sanitise(struct buf *out, struct span l)
{
	const unsigned char *s = (const unsigned char *)l.s;
	size_t i = 0, start = 0;

	buf_reset(out);
	while (i < l.len) {
		uint32_t cp;
		size_t k = utf8_seq(s + i, l.len - i, &cp);

		if (!k) {
			buf_adds(out, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (cp == 0xa0)
			buf_addch(out, ' ');
		else if ((cp < 0x20 && cp != '\t') || cp == 0x7f ||
			 is_invisible(cp))
			; /* dropped */
		else
			buf_add(out, s + i, k);
		i += k;
	}
	buf_rtrim(out);
	while (start < out->len &&
	       (out->s[start] == ' ' || out->s[start] == '\t'))
		start++;
	if (start) {
		memmove(out->s, out->s + start, out->len - start);
		buf_setlen(out, out->len - start);
	}
}

/* ---- words ------------------------------------------------------------ */

static struct span first_word(const char *s, size_t len)
{
	struct span w = { s, 0 };

	while (w.len < len && s[w.len] != ' ' && s[w.len] != '\t')
		w.len++;
	return w;
}

static int is_prefix_word(const struct cmdparse_opts *o, struct span w)
{
	size_t n;

	if (!o->prefix || !*o->prefix)
		return 0;
	n = strlen(o->prefix);
	/* "#patchbot: queue" is how people write "pw-bot: cr" */
	if (w.len == n + 1 && w.s[n] == ':')
		w.len--;
	return w.len == n && !strncasecmp(w.s, o->prefix, n);
}

static int is_known_word(const struct cmdparse_opts *o, struct span w)
{
	char word[WORD_MAX];
	size_t i;

	if (!o->is_command || !w.len || w.len >= sizeof(word))
		return 0;
	for (i = 0; i < w.len; i++) {
		char c = w.s[i];

		word[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	word[w.len] = '\0';
	return o->is_command(word, o->payload);
}

enum cmd_form { FORM_NONE, FORM_PREFIXED, FORM_BARE };

/* Is the sanitised line s a command in this region, and in which form? */
static enum cmd_form command_form(const struct cmdparse_opts *o,
				  const struct buf *s, enum region r)
{
	struct span w = first_word(s->s, s->len);

	if (is_prefix_word(o, w)) {
		/* "#patchbot" alone names no command */
		return w.len < s->len ? FORM_PREFIXED : FORM_NONE;
	}
	if (r == REGION_TEXT && o->bare_allowed && is_known_word(o, w))
		return FORM_BARE;
	return FORM_NONE;
}

static void add_command(struct cmdlist *out, const struct buf *s,
			enum cmd_form form)
{
	struct cmdline *c;
	size_t i = 0, argc = 0, alloc = 0;

	ALLOC_GROW(out->items, out->nr + 1, out->alloc);
	c = &out->items[out->nr++];
	c->text = xstrndup(s->s, s->len);
	c->argv = NULL;
	c->argc = 0;
	if (form == FORM_PREFIXED)
		i = first_word(s->s, s->len).len;
	for (;;) {
		struct span w;

		while (i < s->len && (s->s[i] == ' ' || s->s[i] == '\t'))
			i++;
		if (i >= s->len)
			break;
		w = first_word(s->s + i, s->len - i);
		ALLOC_GROW(c->argv, argc + 2, alloc);
		c->argv[argc++] = xstrndup(w.s, w.len);
		i += w.len;
	}
	c->argc = argc;
	c->argv[argc] = NULL;
	str_lower(c->argv[0]);
}

/* ---- wrapped command lines -------------------------------------------- */

static size_t width(struct span l)
{
	size_t i, w = 0;

	while (l.len && is_ws(l.s[l.len - 1]))
		l.len--;
	for (i = 0; i < l.len; i++)
		if (((unsigned char)l.s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/*
 * The rejoining rule.  A client that hard-wraps (format=fixed) may have
 * cut a long command line in two.  We take the next line as its tail only
 * where nothing else is plausible:
 *  - the command line is at least WRAP_MIN_WIDTH columns wide, so a client
 *    wrapping at 72-78 columns could have cut it;
 *  - the next line is not blank, not quoted, not over max_line, not a
 *    command itself (prefix, or a known command word even where bare
 *    commands don't count), not a signature separator, not "thanks", not
 *    an attribution nor the start of an original;
 *  - the line after it is blank, a signature separator or the end of the
 *    text: the tail closes the paragraph, as a wrapped-off tail does and a
 *    following sentence of prose usually doesn't.
 * format=flowed mail is never rejoined: its soft breaks are undone before,
 * and its hard breaks are the writer's.
 */
static int continuation(struct scan *sc, struct span cmd, struct span *next)
{
	size_t p = sc->pos;
	struct span n, after, w;
	int have_after;

	if (sc->o->format_flowed || width(cmd) < WRAP_MIN_WIDTH)
		return 0;
	if (!get_line(sc->text, sc->len, &p, &n))
		return 0;
	have_after = get_line(sc->text, sc->len, &p, &after);
	if (have_after && !is_blank(after) && !is_sig_separator(after))
		return 0;
	if (n.len > sc->max_line || is_blank(n) || is_quoted(n) ||
	    is_sig_separator(n) || is_end_word(n) ||
	    is_original_marker(n, have_after ? &after : NULL) ||
	    attribution(n, have_after ? &after : NULL, sc->max_line))
		return 0;
	sanitise(&sc->cont, n);
	w = first_word(sc->cont.s, sc->cont.len);
	if (!sc->cont.len || is_prefix_word(sc->o, w) ||
	    is_known_word(sc->o, w))
		return 0;
	*next = n;
	return 1;
}

/* ---- format=flowed ---------------------------------------------------- */

/*
 * Undo RFC 3676 soft line breaks: a line ending in a space continues on
 * the next line of the same quote depth.  Space-stuffing is removed, with
 * DelSp the space before the break too; "-- " is never flowed.  Quoted
 * lines come out as ">" * depth + " " + text, so they still read quoted.
 */
static void unflow(const char *text, size_t len, int delsp, struct buf *out)
{
	struct span l;
	size_t pos = 0, open_depth = 0;
	int open = 0;

	while (get_line(text, len, &pos, &l)) {
		size_t depth = 0, i = 0;
		struct span c;
		int sig, flowed;

		while (i < l.len && l.s[i] == '>')
			depth++, i++;
		if (i < l.len && l.s[i] == ' ')
			i++;
		c.s = l.s + i;
		c.len = l.len - i;
		sig = c.len == 3 && !memcmp(c.s, "-- ", 3);
		flowed = !sig && c.len && c.s[c.len - 1] == ' ';
		if (open && depth != open_depth) {
			buf_addch(out, '\n');
			open = 0;
		}
		if (!open) {
			for (i = 0; i < depth; i++)
				buf_addch(out, '>');
			if (depth)
				buf_addch(out, ' ');
		}
		buf_add(out, c.s, flowed && delsp ? c.len - 1 : c.len);
		if (flowed) {
			open = 1;
			open_depth = depth;
		} else {
			buf_addch(out, '\n');
			open = 0;
		}
	}
	if (open)
		buf_addch(out, '\n');
}

/* ---- the scan --------------------------------------------------------- */

static void scan(struct scan *sc, struct cmdlist *out)
{
	enum region region = REGION_TEXT;
	struct span l;

	while (get_line(sc->text, sc->len, &sc->pos, &l)) {
		struct span next, *np = NULL, a;
		size_t p = sc->pos;
		enum cmd_form form;
		int n, got;

		if (l.len > sc->max_line || is_blank(l) || is_quoted(l))
			continue;
		if (get_line(sc->text, sc->len, &p, &next))
			np = &next;
		if (is_original_marker(l, np))
			break;
		n = attribution(l, np, sc->max_line);
		if (n) {
			if (n == 2)
				sc->pos = p;
			/*
			 * An inline reply follows its attribution with quoted
			 * lines.  Unquoted text right below one is the
			 * original, left unquoted by the client (Outlook,
			 * HTML turned into text): the sender's text ends.
			 */
			p = sc->pos;
			while ((got = get_line(sc->text, sc->len, &p, &a)) &&
			       is_blank(a))
				;
			if (got && !is_quoted(a))
				break;
			continue;
		}
		if (is_sig_separator(l)) {
			region = REGION_SIGNATURE;
			continue;
		}
		/*
		 * "Thanks," then a name then "-- " then "pw-bot: cr" is how
		 * netdev writes: a signature after the end still opens the
		 * signature region, where the prefixed form counts.
		 */
		if (is_end_word(l)) {
			region = REGION_ENDED;
			continue;
		}
		if (region == REGION_ENDED)
			continue;
		sanitise(&sc->line, l);
		form = command_form(sc->o, &sc->line, region);
		if (form == FORM_NONE)
			continue;
		if (continuation(sc, l, &next)) {
			buf_addch(&sc->line, ' ');
			buf_add(&sc->line, sc->cont.s, sc->cont.len);
			get_line(sc->text, sc->len, &sc->pos, &next);
		}
		if (out->nr >= sc->max_commands)
			out->dropped++;
		else
			add_command(out, &sc->line, form);
	}
}

size_t cmdparse(const char *text, size_t len, const struct cmdparse_opts *o,
		struct cmdlist *out)
{
	struct buf flowed = BUF_INIT(BUF_NOLIMIT);
	struct scan sc = {
		.text = text,
		.len = text ? len : 0,
		.o = o,
		.max_commands = o->max_commands ? o->max_commands :
						  DEFAULT_MAX_COMMANDS,
		.max_line = o->max_line ? o->max_line : DEFAULT_MAX_LINE,
		.line = BUF_INIT(BUF_NOLIMIT),
		.cont = BUF_INIT(BUF_NOLIMIT),
	};

	if (o->format_flowed && sc.len) {
		unflow(text, sc.len, o->delsp, &flowed);
		sc.text = flowed.s;
		sc.len = flowed.len;
	}
	scan(&sc, out);
	buf_release(&sc.line);
	buf_release(&sc.cont);
	buf_release(&flowed);
	return out->nr;
}

void cmdlist_release(struct cmdlist *l)
{
	size_t i, j;

	for (i = 0; i < l->nr; i++) {
		struct cmdline *c = &l->items[i];

		for (j = 0; j < c->argc; j++)
			free(c->argv[j]);
		free(c->argv);
		free(c->text);
	}
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = l->dropped = 0;
}
