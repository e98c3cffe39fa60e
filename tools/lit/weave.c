// SPDX-License-Identifier: GPL-2.0
/* Weave: turn chunk blocks into cross-referenced AsciiDoc. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lit.h"

/* ---- anchors ---------------------------------------------------------- */

struct slugged {
	char *slug;
	struct chunk *c;
};

static int cmp_slugged(const void *a, const void *b)
{
	const struct slugged *x = a, *y = b;
	int d = strcmp(x->slug, y->slug);

	if (d)
		return d;
	return x->c->order < y->c->order ? -1 : x->c->order > y->c->order;
}

/*
 * Anchor base of each chunk: "chunk-" plus the slug of its name.  Names
 * whose slugs clash (or are empty) get a hash of the full name appended,
 * which keeps every anchor independent of the order of definitions.
 */
static void assign_anchors(struct web *w)
{
	struct slugged *s = xcalloc(w->nchunks, sizeof(*s));
	size_t i;

	for (i = 0; i < w->nchunks; i++) {
		s[i].slug = lit_slug(w->chunks[i]->name);
		s[i].c = w->chunks[i];
	}
	qsort(s, w->nchunks, sizeof(*s), cmp_slugged);
	for (i = 0; i < w->nchunks; i++) {
		struct chunk *c = s[i].c;
		bool clash = !*s[i].slug ||
			(i > 0 && !strcmp(s[i - 1].slug, s[i].slug)) ||
			(i + 1 < w->nchunks && !strcmp(s[i + 1].slug, s[i].slug));
		struct buf b = { 0 };

		buf_printf(&b, "chunk-%s", s[i].slug);
		if (clash)
			buf_printf(&b, "%sh%08x", *s[i].slug ? "-" : "",
				   (unsigned)lit_hash(c->name, c->name_len));
		free(c->anchor);
		c->anchor = b.p;
	}
	for (i = 0; i < w->nchunks; i++)
		free(s[i].slug);
	free(s);
}

void weave_prepare(struct web *w, enum doc doc)
{
	enum region hidden = doc == DOC_SPEC ? REGION_REF : REGION_SPEC;
	size_t i;

	assign_anchors(w);
	for (i = 0; i < w->nchunks; i++) {
		struct chunk *c = w->chunks[i];
		struct piece *p;

		c->nvis = 0;
		c->first_vis = NULL;
		for (p = c->first; p; p = p->next) {
			p->vis = p->region != hidden;
			p->vis_no = 0;
			if (!p->vis)
				continue;
			p->vis_no = ++c->nvis;
			if (!c->first_vis)
				c->first_vis = p;
		}
	}
}

/* ---- AsciiDoc text helpers -------------------------------------------- */

/*
 * Text shown literally: wrapped in pass:c[] so that no AsciiDoc markup
 * in a chunk name is interpreted.  A backslash can't be escaped inside
 * the macro, so it goes outside as {backslash}.
 */
static void put_literal(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		if (s[i] == '\\') {
			buf_adds(b, "{backslash}");
			i++;
			continue;
		}
		buf_adds(b, "pass:c[");
		for (j = i; j < n && s[j] != '\\'; j++) {
			if (s[j] == ']')
				buf_addc(b, '\\');
			buf_addc(b, s[j]);
		}
		buf_addc(b, ']');
		i = j;
	}
}

static void put_name(struct buf *b, const struct chunk *c, const char *tail)
{
	struct buf t = { 0 };

	buf_adds(&t, "\xc2\xab");
	buf_add(&t, c->name, c->name_len);
	buf_adds(&t, "\xc2\xbb");
	buf_adds(&t, tail);
	put_literal(b, t.p, t.len);
	buf_free(&t);
}

static void put_anchor(struct buf *b, const struct piece *p)
{
	buf_printf(b, "%s-%u", p->chunk->anchor, p->no);
}

/* Link to a visible piece, labelled with the chunk name (and number). */
static void put_piece_link(struct buf *b, const struct piece *p)
{
	char num[32];

	buf_adds(b, "<<");
	put_anchor(b, p);
	buf_addc(b, ',');
	num[0] = '\0';
	if (p->chunk->nvis > 1)
		snprintf(num, sizeof(num), " %u", p->vis_no);
	put_name(b, p->chunk, num);
	buf_adds(b, ">>");
}

/* Users of @c: links to visible pieces, plain names for the others. */
static void put_users(struct buf *b, const struct chunk *c)
{
	const struct chunk *last_hidden = NULL;
	size_t i, n = 0;

	for (i = 0; i < c->nusers; i++) {
		const struct piece *u = c->users[i];

		if (!u->vis && u->chunk == last_hidden)
			continue;
		if (n++)
			buf_adds(b, ", ");
		if (u->vis) {
			put_piece_link(b, u);
		} else {
			put_name(b, u->chunk, "");
			last_hidden = u->chunk;
		}
	}
}

/* ---- chunk pieces ----------------------------------------------------- */

static void put_line(struct buf *b, const struct line *L)
{
	buf_add(b, L->s, L->len);
	buf_addc(b, '\n');
}

static void weave_xref(struct buf *out, const struct piece *p)
{
	const struct chunk *c = p->chunk;
	struct buf b = { 0 };
	const struct piece *q;
	size_t r, k, n;

	if (p != c->first_vis) {
		buf_adds(&b, "Defined in ");
		put_piece_link(&b, c->first_vis);
		buf_adds(&b, ".\n");
	}
	n = 0;
	for (q = p->next; q; q = q->next) {
		if (!q->vis)
			continue;
		buf_adds(&b, n++ ? ", " : "Continued in ");
		put_piece_link(&b, q);
	}
	if (n)
		buf_adds(&b, ".\n");
	if (c->root) {
		buf_adds(&b, "Root: written to `");
		put_literal(&b, c->name, c->name_len);
		buf_adds(&b, "`.\n");
	}
	if (c->nusers) {
		buf_adds(&b, "Used in ");
		put_users(&b, c);
		buf_adds(&b, ".\n");
	}
	n = 0;
	for (r = 0; r < p->nrefs; r++) {
		const struct chunk *t = p->refs[r].target;

		for (k = 0; k < r; k++)
			if (p->refs[k].target == t)
				break;
		if (k < r)
			continue;
		buf_adds(&b, n++ ? ", " : "Uses ");
		if (t->nvis) {
			buf_adds(&b, "<<");
			put_anchor(&b, t->first_vis);
			buf_addc(&b, ',');
			put_name(&b, t, "");
			buf_adds(&b, ">>");
		} else {
			put_name(&b, t, "");
		}
	}
	if (n)
		buf_adds(&b, ".\n");
	if (b.len) {
		buf_adds(out, "[.chunk-xref]\n");
		buf_add(out, b.p, b.len);
	}
	buf_free(&b);
}

/*
 * A piece as the specification shows it: the listing with its own title
 * and anchors, without the chunk's name and cross-references, which
 * belong to the literate reference.
 */
static void weave_piece_plain(struct buf *out, const struct web *w,
			      const struct piece *p)
{
	const struct src *f = &w->files[p->file];
	size_t i;

	for (i = p->prefix; i < p->attr; i++)
		put_line(out, &f->lines[i]);
	buf_adds(out, p->attrs);
	buf_addc(out, '\n');
	for (i = p->open; i <= p->close; i++)
		put_line(out, &f->lines[i]);
	buf_addc(out, '\n');
}

static void weave_piece(struct buf *out, const struct web *w,
			const struct piece *p, enum doc doc)
{
	const struct src *f = &w->files[p->file];
	const struct line *title = NULL;
	bool wrap = false;
	size_t i;

	if (doc == DOC_SPEC) {
		weave_piece_plain(out, w, p);
		return;
	}

	for (i = p->prefix; i < p->attr; i++) {
		const struct line *L = &f->lines[i];

		if (lit_is_title_line(L->s, L->len)) {
			title = L;
		} else {
			put_line(out, L);
			wrap = true;
		}
	}
	/*
	 * A block has one id.  A user's [[anchor]] goes on an open block
	 * around the piece so that both it and the generated one resolve.
	 */
	if (wrap)
		buf_adds(out, "--\n");
	buf_adds(out, "[[");
	put_anchor(out, p);
	buf_adds(out, "]]\n.");
	put_name(out, p->chunk, p == p->chunk->first_vis ? " =" : " +=");
	if (title) {
		buf_adds(out, " \xe2\x80\x94 ");
		buf_add(out, title->s + 1, title->len - 1);
	}
	buf_addc(out, '\n');
	buf_adds(out, p->attrs);
	buf_addc(out, '\n');
	for (i = p->open; i <= p->close; i++)
		put_line(out, &f->lines[i]);
	weave_xref(out, p);
	if (wrap)
		buf_adds(out, "--\n");
	buf_addc(out, '\n');
}

void weave_file(struct web *w, size_t fi, enum doc doc, struct buf *out)
{
	enum region hidden = doc == DOC_SPEC ? REGION_REF : REGION_SPEC;
	enum region region = REGION_ALL;
	const struct src *f = &w->files[fi];
	size_t i, k = 0;

	for (i = 0; i < f->nlines; i++) {
		const struct line *L = &f->lines[i];
		enum marker m = lit_marker(L->s, L->len);
		const struct piece *p = k < f->npieces ? f->pieces[k] : NULL;

		if (m == MARK_IFDEF) {
			region = REGION_REF;
			continue;
		}
		if (m == MARK_IFNDEF) {
			region = REGION_SPEC;
			continue;
		}
		if (m == MARK_ENDIF) {
			region = REGION_ALL;
			continue;
		}
		if (p && p->prefix == i) {
			if (p->vis)
				weave_piece(out, w, p, doc);
			i = p->close;
			k++;
			continue;
		}
		if (region != hidden)
			put_line(out, L);
	}
}

/* ---- index ------------------------------------------------------------ */

static int cmp_chunk_name(const void *a, const void *b)
{
	const struct chunk *x = *(const struct chunk *const *)a;
	const struct chunk *y = *(const struct chunk *const *)b;
	size_t i;

	for (i = 0; x->name[i] && y->name[i]; i++) {
		int cx = (unsigned char)x->name[i];
		int cy = (unsigned char)y->name[i];

		if (cx >= 'A' && cx <= 'Z')
			cx += 'a' - 'A';
		if (cy >= 'A' && cy <= 'Z')
			cy += 'a' - 'A';
		if (cx != cy)
			return cx - cy;
	}
	if (x->name[i] || y->name[i])
		return x->name[i] ? 1 : -1;
	return strcmp(x->name, y->name);
}

static bool has_spdx(const struct line *L)
{
	static const char tag[] = "SPDX-License-Identifier:";
	size_t i, n = sizeof(tag) - 1;

	for (i = 0; i + n <= L->len; i++)
		if (memcmp(L->s + i, tag, n) == 0)
			return true;
	return false;
}

/* The index inherits the first SPDX comment found at the top of an input. */
static void put_spdx(struct buf *out, const struct web *w)
{
	size_t fi, i;

	for (fi = 0; fi < w->nfiles; fi++) {
		const struct src *f = &w->files[fi];

		for (i = 0; i < f->nlines && i < 3; i++) {
			const struct line *L = &f->lines[i];

			if (L->len > 2 && L->s[0] == '/' && L->s[1] == '/' &&
			    L->s[2] != '/' && has_spdx(L)) {
				put_line(out, L);
				return;
			}
		}
	}
}

void weave_index(struct web *w, int level, struct buf *out)
{
	struct chunk **v = xcalloc(w->nchunks, sizeof(*v));
	size_t i, n = 0;
	const struct piece *p;

	for (i = 0; i < w->nchunks; i++)
		if (w->chunks[i]->nvis)
			v[n++] = w->chunks[i];
	qsort(v, n, sizeof(*v), cmp_chunk_name);
	put_spdx(out, w);
	buf_adds(out, "[[chunk-index]]\n");
	for (i = 0; i < (size_t)level; i++)
		buf_addc(out, '=');
	buf_adds(out, " Index of chunks\n\n");
	if (!n)
		buf_adds(out, "This document has no code chunks.\n");
	for (i = 0; i < n; i++) {
		const struct chunk *c = v[i];
		size_t k = 0;

		buf_adds(out, "* ");
		put_name(out, c, "");
		buf_adds(out, ": defined in ");
		for (p = c->first_vis; p; p = p->next) {
			if (!p->vis)
				continue;
			if (k++)
				buf_adds(out, ", ");
			buf_adds(out, "<<");
			put_anchor(out, p);
			buf_printf(out, ",%u>>", p->vis_no);
		}
		if (c->root) {
			buf_adds(out, "; written to `");
			put_literal(out, c->name, c->name_len);
			buf_addc(out, '`');
		}
		if (c->nusers) {
			buf_adds(out, "; used in ");
			put_users(out, c);
		}
		buf_adds(out, ".\n");
	}
	free(v);
}
