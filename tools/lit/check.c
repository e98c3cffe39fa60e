// SPDX-License-Identifier: GPL-2.0
/* Reference resolution and the semantic checks of a web. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lit.h"

static void add_user(struct chunk *c, struct piece *p)
{
	/* pieces are visited in order, so a repeat can only be the last */
	if (c->nusers && c->users[c->nusers - 1] == p)
		return;
	grow(&c->users, &c->users_cap, c->nusers + 1, sizeof(*c->users));
	c->users[c->nusers++] = p;
}

static void resolve_refs(struct web *w)
{
	size_t fi, k, r;

	for (fi = 0; fi < w->nfiles; fi++) {
		struct src *f = &w->files[fi];

		for (k = 0; k < f->npieces; k++) {
			struct piece *p = f->pieces[k];

			for (r = 0; r < p->nrefs; r++) {
				struct ref *ref = &p->refs[r];
				const char *name = f->lines[ref->line].s +
						   ref->name_off;

				ref->target = web_find(w, name, ref->name_len);
				if (!ref->target) {
					diag(w, fi, ref->line,
					     "reference to undefined chunk \"%.*s\"",
					     (int)ref->name_len, name);
					continue;
				}
				add_user(ref->target, p);
			}
		}
	}
}

static void check_unused(struct web *w)
{
	size_t i;

	for (i = 0; i < w->nchunks; i++) {
		struct chunk *c = w->chunks[i];

		if (!c->root && !c->nusers)
			diag(w, c->first->file, c->first->attr,
			     "chunk \"%s\" is never referenced (and is not a root: a root name contains '/' and no white space)",
			     c->name);
	}
}

struct root_path {
	char *canon;
	struct chunk *c;
};

static int cmp_root_path(const void *a, const void *b)
{
	const struct root_path *x = a, *y = b;
	int d = strcmp(x->canon, y->canon);

	if (d)
		return d;
	return x->c->order < y->c->order ? -1 : x->c->order > y->c->order;
}

static void check_roots(struct web *w)
{
	struct root_path *rp = xcalloc(w->nchunks, sizeof(*rp));
	size_t i, n = 0;

	for (i = 0; i < w->nchunks; i++) {
		struct chunk *c = w->chunks[i];
		struct piece *p, *q;
		enum path_kind kind;
		char *canon;

		if (!c->root)
			continue;
		/* one root, one source file */
		for (p = c->first; p; p = p->next) {
			if (p->file == c->first->file)
				continue;
			for (q = c->first; q != p; q = q->next)
				if (q->file == p->file)
					break;
			if (q != p)
				continue;	/* this file was reported */
			diag(w, p->file, p->attr,
			     "two roots for one file: \"%s\" is already defined in %s:%zu",
			     c->name, w->files[c->first->file].path,
			     c->first->attr + 1);
		}
		kind = lit_canon_path(c->name, &canon);
		if (kind == PATH_INVALID) {
			diag(w, c->first->file, c->first->attr,
			     "invalid root path \"%s\": it must be relative and must not contain '..'",
			     c->name);
			continue;
		}
		rp[n].canon = canon;
		rp[n].c = c;
		n++;
	}
	qsort(rp, n, sizeof(*rp), cmp_root_path);
	for (i = 0; i < n; i++) {
		struct chunk *c = rp[i].c;

		if (i > 0 && strcmp(rp[i - 1].canon, rp[i].canon) == 0) {
			struct chunk *prev = rp[i - 1].c;

			diag(w, c->first->file, c->first->attr,
			     "two roots for one file: \"%s\" and \"%s\" (defined at %s:%zu) both denote \"%s\"",
			     c->name, prev->name, w->files[prev->first->file].path,
			     prev->first->attr + 1, rp[i].canon);
		} else if (strcmp(c->name, rp[i].canon) != 0 &&
			   (i + 1 >= n ||
			    strcmp(rp[i + 1].canon, rp[i].canon) != 0)) {
			diag(w, c->first->file, c->first->attr,
			     "root path \"%s\" has an empty or '.' component; write it as \"%s\"",
			     c->name, rp[i].canon);
		}
	}
	for (i = 0; i < n; i++)
		free(rp[i].canon);
	free(rp);
}

/* ---- cycles ----------------------------------------------------------- */

enum { WHITE, GREY, BLACK };

struct cycle_search {
	struct web *w;
	struct chunk **stack;
	size_t depth, cap;
};

static void visit(struct cycle_search *cs, struct chunk *c)
{
	struct piece *p;
	size_t r, k;

	c->mark = GREY;
	grow(&cs->stack, &cs->cap, cs->depth + 1, sizeof(*cs->stack));
	c->depth = cs->depth;
	cs->stack[cs->depth++] = c;
	for (p = c->first; p; p = p->next) {
		for (r = 0; r < p->nrefs; r++) {
			struct chunk *t = p->refs[r].target;
			struct buf chain = { 0 };

			if (!t || t->mark == BLACK)
				continue;
			if (t->mark == WHITE) {
				visit(cs, t);
				continue;
			}
			for (k = t->depth; k < cs->depth; k++)
				buf_printf(&chain, "\"%s\" -> ",
					   cs->stack[k]->name);
			buf_printf(&chain, "\"%s\"", t->name);
			diag(cs->w, p->file, p->refs[r].line,
			     "reference cycle: %s", chain.p);
			buf_free(&chain);
		}
	}
	cs->depth--;
	c->mark = BLACK;
}

static void check_cycles(struct web *w)
{
	struct cycle_search cs = { w, NULL, 0, 0 };
	size_t i;

	for (i = 0; i < w->nchunks; i++)
		w->chunks[i]->mark = WHITE;
	for (i = 0; i < w->nchunks; i++)
		if (w->chunks[i]->mark == WHITE)
			visit(&cs, w->chunks[i]);
	free(cs.stack);
}

size_t web_check(struct web *w)
{
	if (w->ndiags)
		return w->ndiags;	/* syntax errors: the rest is guesswork */
	resolve_refs(w);
	check_unused(w);
	check_roots(w);
	check_cycles(w);
	return w->ndiags;
}

static int cmp_diag(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void web_print_diags(struct web *w)
{
	size_t i;

	qsort(w->diags, w->ndiags, sizeof(*w->diags), cmp_diag);
	for (i = 0; i < w->ndiags; i++)
		fprintf(stderr, "%s:%zu: error: %s\n",
			w->files[w->diags[i].file].path,
			w->diags[i].line + 1, w->diags[i].msg);
}
