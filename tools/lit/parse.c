// SPDX-License-Identifier: GPL-2.0
/* Line syntax and parsing of AsciiDoc files into a web of chunks. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lit.h"

/* ---- line syntax ------------------------------------------------------ */

static bool line_is(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n == l && memcmp(s, lit, l) == 0;
}

enum marker lit_marker(const char *s, size_t n)
{
	if (line_is(s, n, "ifdef::reference[]"))
		return MARK_IFDEF;
	if (line_is(s, n, "ifndef::reference[]"))
		return MARK_IFNDEF;
	if (line_is(s, n, "endif::reference[]"))
		return MARK_ENDIF;
	return MARK_NONE;
}

static bool all_of(const char *s, size_t n, char c, size_t min)
{
	size_t i;

	if (n < min)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != c)
			return false;
	return true;
}

bool lit_is_listing_delim(const char *s, size_t n)
{
	return all_of(s, n, '-', 4);
}

bool lit_is_verbatim_delim(const char *s, size_t n)
{
	return all_of(s, n, '-', 4) || all_of(s, n, '.', 4) ||
	       all_of(s, n, '+', 4) || all_of(s, n, '/', 4) ||
	       (n >= 3 && memcmp(s, "```", 3) == 0);
}

bool lit_is_title_line(const char *s, size_t n)
{
	return n >= 2 && s[0] == '.' && s[1] != '.' && s[1] != ' ' &&
	       s[1] != '\t';
}

bool lit_is_anchor_line(const char *s, size_t n)
{
	return n >= 5 && s[0] == '[' && s[1] == '[' && s[2] != '[' &&
	       s[n - 1] == ']' && s[n - 2] == ']' &&
	       !memchr(s + 2, ']', n - 4);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

bool lit_match_ref(const char *s, size_t n, size_t *indent,
		   size_t *name_off, size_t *name_len)
{
	size_t i = 0, start, end;

	while (i < n && is_blank(s[i]))
		i++;
	*indent = i;
	if (n - i < 5 || s[i] != '<' || s[i + 1] != '<')
		return false;
	start = i + 2;
	for (end = start; end < n && s[end] != '<' && s[end] != '>'; end++)
		;
	if (end == start || end + 1 >= n || s[end] != '>' ||
	    s[end + 1] != '>')
		return false;
	for (i = end + 2; i < n; i++)
		if (!is_blank(s[i]))
			return false;
	*name_off = start;
	*name_len = end - start;
	return true;
}

/*
 * Parse a block attribute line.  Entries are split at commas outside double
 * quotes; a "chunk=" entry names the chunk, the others are kept in a->rest.
 */
enum attr_result lit_parse_attr(const char *s, size_t n,
				struct chunk_attr *a)
{
	struct buf rest = { 0 };
	size_t i, start, e, nchunks = 0, nkept = 0;
	bool quoted = false;

	a->rest = NULL;
	a->why = NULL;
	a->name_off = a->name_len = 0;
	if (n < 2 || s[0] != '[' || s[1] == '[')
		return ATTR_NONE;
	if (s[n - 1] != ']') {
		/* "[source,c,chunk=..." with the bracket missing */
		for (i = 1; i + 6 <= n; i++)
			if (memcmp(s + i, "chunk=", 6) == 0 &&
			    (s[i - 1] == ',' || s[i - 1] == '[' ||
			     is_blank(s[i - 1]))) {
				a->why = "attribute list does not end with ']'";
				return ATTR_BAD;
			}
		return ATTR_NONE;
	}
	buf_addc(&rest, '[');
	start = 1;
	for (i = 1; i < n; i++) {
		if (i < n - 1 && s[i] == '"') {
			quoted = !quoted;
			continue;
		}
		if (i < n - 1 && (quoted || s[i] != ','))
			continue;
		/* entry s[start, i) */
		e = i;
		while (start < e && is_blank(s[start]))
			start++;
		while (e > start && is_blank(s[e - 1]))
			e--;
		if (e - start >= 5 && memcmp(s + start, "chunk", 5) == 0) {
			size_t k = start + 5, q;

			while (k < e && is_blank(s[k]))
				k++;
			if (k < e && s[k] == '=') {
				nchunks++;
				k++;
				while (k < e && is_blank(s[k]))
					k++;
				if (k >= e || s[k] != '"') {
					a->why = "chunk name must be in double quotes: chunk=\"NAME\"";
					goto bad;
				}
				q = k + 1;
				while (q < e && s[q] != '"')
					q++;
				if (q != e - 1) {
					a->why = "chunk=\"NAME\" must end at the closing quote";
					goto bad;
				}
				if (q == k + 1) {
					a->why = "empty chunk name";
					goto bad;
				}
				if (memchr(s + k + 1, '<', q - k - 1) ||
				    memchr(s + k + 1, '>', q - k - 1)) {
					a->why = "chunk name must not contain '<' or '>'";
					goto bad;
				}
				if (nchunks > 1) {
					a->why = "more than one chunk= attribute";
					goto bad;
				}
				a->name_off = k + 1;
				a->name_len = q - k - 1;
				start = i + 1;
				continue;
			}
		}
		if (e > start) {
			if (nkept++)
				buf_addc(&rest, ',');
			buf_add(&rest, s + start, e - start);
		}
		start = i + 1;
	}
	if (quoted && nchunks) {
		a->why = "unbalanced double quote in attribute list";
		goto bad;
	}
	if (!nchunks) {
		buf_free(&rest);
		return ATTR_NONE;
	}
	if (!nkept)
		buf_adds(&rest, "source");
	buf_addc(&rest, ']');
	a->rest = rest.p;
	return ATTR_CHUNK;
bad:
	buf_free(&rest);
	return ATTR_BAD;
}

bool lit_is_root_name(const char *s, size_t n)
{
	size_t i;
	bool slash = false;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '/')
			slash = true;
		else if (c == ' ' || (c >= '\t' && c <= '\r'))
			return false;
	}
	return slash;
}

enum path_kind lit_canon_path(const char *s, char **canon)
{
	struct buf b = { 0 };
	const char *p = s, *e;
	bool odd = false;

	*canon = NULL;
	if (*s == '/')
		return PATH_INVALID;
	for (;;) {
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		if (e == p || (e - p == 1 && *p == '.')) {
			odd = true;
		} else if (e - p == 2 && p[0] == '.' && p[1] == '.') {
			buf_free(&b);
			return PATH_INVALID;
		} else {
			if (b.len)
				buf_addc(&b, '/');
			buf_add(&b, p, (size_t)(e - p));
		}
		if (!*e)
			break;
		p = e + 1;
	}
	if (!b.len)
		return PATH_INVALID;
	*canon = b.p;
	return odd ? PATH_SPELLED_ODDLY : PATH_CANONICAL;
}

char *lit_slug(const char *name)
{
	struct buf b = { 0 };
	const unsigned char *p;
	bool dash = false;

	for (p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && b.len)
				buf_addc(&b, '-');
			buf_addc(&b, (char)c);
			dash = false;
		} else {
			dash = true;
		}
	}
	if (!b.p)
		return xstrdup("");
	return b.p;
}

/* ---- the web ---------------------------------------------------------- */

void web_init(struct web *w)
{
	memset(w, 0, sizeof(*w));
}

void web_free(struct web *w)
{
	size_t i, j;
	struct piece *p, *next;

	for (i = 0; i < w->nchunks; i++) {
		struct chunk *c = w->chunks[i];

		for (p = c->first; p; p = next) {
			next = p->next;
			free(p->refs);
			free(p->attrs);
			free(p);
		}
		free(c->users);
		free(c->anchor);
		free(c->name);
		free(c);
	}
	free(w->chunks);
	free(w->tab);
	for (i = 0; i < w->nfiles; i++) {
		free(w->files[i].path);
		free(w->files[i].data);
		free(w->files[i].lines);
		free(w->files[i].pieces);
	}
	free(w->files);
	for (j = 0; j < w->ndiags; j++)
		free(w->diags[j].msg);
	free(w->diags);
	web_init(w);
}

void diag(struct web *w, size_t file, size_t line, const char *fmt, ...)
{
	struct buf b = { 0 };
	struct diag *d;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!b.p) {	/* the message could not be formatted */
		grow(&b.p, &b.cap, 1, 1);
		b.p[0] = '\0';
	}
	grow(&w->diags, &w->diags_cap, w->ndiags + 1, sizeof(*w->diags));
	d = &w->diags[w->ndiags];
	d->file = file;
	d->line = line;
	d->seq = w->ndiags;
	d->msg = b.p;
	w->ndiags++;
}

static void tab_insert(struct chunk **tab, size_t size, struct chunk *c)
{
	size_t i = lit_hash(c->name, c->name_len) & (size - 1);

	while (tab[i])
		i = (i + 1) & (size - 1);
	tab[i] = c;
}

struct chunk *web_find(struct web *w, const char *name, size_t len)
{
	size_t i;

	if (!w->tabsize)
		return NULL;
	i = lit_hash(name, len) & (w->tabsize - 1);
	while (w->tab[i]) {
		struct chunk *c = w->tab[i];

		if (c->name_len == len && memcmp(c->name, name, len) == 0)
			return c;
		i = (i + 1) & (w->tabsize - 1);
	}
	return NULL;
}

static struct chunk *web_intern(struct web *w, const char *name, size_t len)
{
	struct chunk *c = web_find(w, name, len);
	size_t i;

	if (c)
		return c;
	if (2 * (w->nchunks + 1) > w->tabsize) {
		size_t size = w->tabsize ? 2 * w->tabsize : 64;
		struct chunk **tab = xcalloc(size, sizeof(*tab));

		for (i = 0; i < w->nchunks; i++)
			tab_insert(tab, size, w->chunks[i]);
		free(w->tab);
		w->tab = tab;
		w->tabsize = size;
	}
	c = xcalloc(1, sizeof(*c));
	c->name = xstrndup(name, len);
	c->name_len = len;
	c->order = w->nchunks;
	c->root = lit_is_root_name(name, len);
	grow(&w->chunks, &w->chunks_cap, w->nchunks + 1, sizeof(*w->chunks));
	w->chunks[w->nchunks++] = c;
	tab_insert(w->tab, w->tabsize, c);
	return c;
}

static void split_lines(struct src *f, size_t size)
{
	size_t cap = 0, i = 0, start;
	char *d = f->data;

	while (i < size) {
		start = i;
		while (i < size && d[i] != '\n')
			i++;
		grow(&f->lines, &cap, f->nlines + 1, sizeof(*f->lines));
		f->lines[f->nlines].s = d + start;
		f->lines[f->nlines].len = i - start;
		if (i > start && d[i - 1] == '\r')
			f->lines[f->nlines].len--;
		f->nlines++;
		i++;	/* skip '\n' */
	}
}

static const char *region_opener(enum region r)
{
	return r == REGION_REF ? "ifdef::reference[]" : "ifndef::reference[]";
}

/*
 * Parse the chunk whose attribute line is @attr; returns the index of the
 * last line consumed.
 */
static size_t parse_chunk(struct web *w, size_t fi, size_t attr,
			  size_t prefix, enum region region,
			  struct chunk_attr *a)
{
	struct src *f = &w->files[fi];
	const struct line *L = f->lines;
	const char *name = L[attr].s + a->name_off;
	size_t j, open = attr + 1, indent, off, len;
	struct piece *p;
	struct chunk *c;

	if (open >= f->nlines || !lit_is_listing_delim(L[open].s, L[open].len)) {
		diag(w, fi, attr,
		     "chunk \"%.*s\": the attribute line must be followed by a listing delimiter ('----')",
		     (int)a->name_len, name);
		free(a->rest);
		return attr;
	}
	p = xcalloc(1, sizeof(*p));
	p->file = fi;
	p->prefix = prefix;
	p->attr = attr;
	p->open = open;
	p->close = LIT_NONE;
	p->region = region;
	p->attrs = a->rest;
	for (j = open + 1; j < f->nlines; j++) {
		if (L[j].len == L[open].len &&
		    memcmp(L[j].s, L[open].s, L[j].len) == 0) {
			p->close = j;
			break;
		}
		if (lit_marker(L[j].s, L[j].len) != MARK_NONE) {
			diag(w, fi, j,
			     "conditional marker '%.*s' inside chunk \"%.*s\"; put it outside the block",
			     (int)L[j].len, L[j].s, (int)a->name_len, name);
			continue;
		}
		if (lit_match_ref(L[j].s, L[j].len, &indent, &off, &len)) {
			struct ref *r;

			grow(&p->refs, &p->refs_cap, p->nrefs + 1,
			     sizeof(*p->refs));
			r = &p->refs[p->nrefs++];
			r->line = j;
			r->indent = indent;
			r->name_off = off;
			r->name_len = len;
			r->target = NULL;
		}
	}
	c = web_intern(w, name, a->name_len);
	p->chunk = c;
	p->no = ++c->npieces;
	if (c->last)
		c->last->next = p;
	else
		c->first = p;
	c->last = p;
	grow(&f->pieces, &f->pieces_cap, f->npieces + 1, sizeof(*f->pieces));
	f->pieces[f->npieces++] = p;
	if (p->close == LIT_NONE) {
		diag(w, fi, open,
		     "unterminated chunk block \"%.*s\": no closing '%.*s' line",
		     (int)a->name_len, name, (int)L[open].len, L[open].s);
		p->close = f->nlines;
		return f->nlines;
	}
	return p->close;
}

static void parse_file(struct web *w, size_t fi)
{
	struct src *f = &w->files[fi];
	size_t i, run = LIT_NONE, region_line = 0;
	enum region region = REGION_ALL;
	const struct line *verbatim = NULL;
	struct chunk_attr a;

	for (i = 0; i < f->nlines; i++) {
		const struct line *L = &f->lines[i];
		enum marker m = lit_marker(L->s, L->len);
		enum attr_result ar;

		if (m != MARK_NONE) {
			run = LIT_NONE;
			if (m == MARK_ENDIF) {
				if (region == REGION_ALL)
					diag(w, fi, i,
					     "endif::reference[] without a matching ifdef::reference[] or ifndef::reference[]");
				region = REGION_ALL;
				continue;
			}
			if (region != REGION_ALL) {
				diag(w, fi, i,
				     "nested conditional region: %s at line %zu is still open",
				     region_opener(region), region_line + 1);
				continue;
			}
			region = m == MARK_IFDEF ? REGION_REF : REGION_SPEC;
			region_line = i;
			continue;
		}
		if (verbatim) {
			if (L->len == verbatim->len &&
			    memcmp(L->s, verbatim->s, L->len) == 0)
				verbatim = NULL;
			else if (verbatim->s[0] == '`' && L->len == 3 &&
				 memcmp(L->s, "```", 3) == 0)
				verbatim = NULL;
			continue;
		}
		ar = lit_parse_attr(L->s, L->len, &a);
		if (ar == ATTR_BAD) {
			diag(w, fi, i, "malformed chunk attribute: %s", a.why);
			run = LIT_NONE;
			continue;
		}
		if (ar == ATTR_CHUNK) {
			i = parse_chunk(w, fi, i, run == LIT_NONE ? i : run,
					region, &a);
			run = LIT_NONE;
			continue;
		}
		if (lit_is_verbatim_delim(L->s, L->len)) {
			verbatim = L;
			run = LIT_NONE;
			continue;
		}
		if (lit_is_title_line(L->s, L->len) ||
		    lit_is_anchor_line(L->s, L->len)) {
			if (run == LIT_NONE)
				run = i;
		} else {
			run = LIT_NONE;
		}
	}
	if (region != REGION_ALL)
		diag(w, fi, region_line, "unterminated %s region",
		     region_opener(region));
}

void web_add_text(struct web *w, const char *path, char *data, size_t size)
{
	struct src *f;

	grow(&w->files, &w->files_cap, w->nfiles + 1, sizeof(*w->files));
	f = &w->files[w->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->data = data;
	split_lines(f, size);
	w->nfiles++;
	parse_file(w, w->nfiles - 1);
}

int web_add_file(struct web *w, const char *path)
{
	char *data;
	size_t size;

	if (read_file(path, &data, &size) < 0)
		return -1;
	web_add_text(w, path, data, size);
	return 0;
}
