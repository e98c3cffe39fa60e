// SPDX-License-Identifier: GPL-2.0
/* Tangle: expand a root chunk into the text of its output file. */
#define _POSIX_C_SOURCE 200809L

#include <string.h>

#include "lit.h"

struct tangle {
	struct web *w;
	const struct tangle_opts *o;
	bool lines;		/* #line wanted for this root */
	struct buf *out;
	struct buf prefix;	/* accumulated indentation */
	bool first;		/* nothing emitted yet */
	bool synced;		/* the compiler's idea of the position is... */
	size_t cur_file, cur_line;	/* ...this line of this file */
};

bool lit_wants_lines(const struct chunk *root)
{
	size_t n = root->name_len;
	const char *s = root->name;

	return n >= 2 && s[n - 2] == '.' && (s[n - 1] == 'c' || s[n - 1] == 'h');
}

static bool is_spdx(const char *s, size_t n)
{
	return (n >= 7 && memcmp(s, "// SPDX", 7) == 0) ||
	       (n >= 7 && memcmp(s, "/* SPDX", 7) == 0);
}

static void emit_line_directive(struct tangle *t, size_t file, size_t line)
{
	const char *p;

	buf_printf(t->out, "#line %zu \"", line + 1);
	if (t->o->line_root && *t->o->line_root) {
		size_t n = strlen(t->o->line_root);

		for (p = t->o->line_root; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(t->out, '\\');
			buf_addc(t->out, *p);
		}
		if (t->o->line_root[n - 1] != '/')
			buf_addc(t->out, '/');
	}
	for (p = t->w->files[file].path; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(t->out, '\\');
		buf_addc(t->out, *p);
	}
	buf_adds(t->out, "\"\n");
}

static void emit_line(struct tangle *t, size_t file, size_t line,
		      size_t prefix_len)
{
	const struct line *L = &t->w->files[file].lines[line];
	bool here = t->synced && t->cur_file == file && t->cur_line == line;

	if (!L->len) {
		/* blank lines carry no code: don't resync just for them */
		buf_addc(t->out, '\n');
		if (here)
			t->cur_line++;
		else
			t->synced = false;
		t->first = false;
		return;
	}
	if (t->lines) {
		if (t->first && !prefix_len && is_spdx(L->s, L->len)) {
			/* SPDX must stay on line 1; resync right after it */
			t->synced = false;
		} else if (!here) {
			emit_line_directive(t, file, line);
			t->synced = true;
			t->cur_file = file;
			t->cur_line = line + 1;
		} else {
			t->cur_line++;
		}
	}
	buf_add(t->out, t->prefix.p, prefix_len);
	buf_add(t->out, L->s, L->len);
	buf_addc(t->out, '\n');
	t->first = false;
}

static void emit_chunk(struct tangle *t, const struct chunk *c,
		       size_t prefix_len)
{
	const struct piece *p;
	size_t j, r;

	for (p = c->first; p; p = p->next) {
		const struct src *f = &t->w->files[p->file];

		r = 0;
		for (j = p->open + 1; j < p->close; j++) {
			if (r < p->nrefs && p->refs[r].line == j) {
				const struct ref *ref = &p->refs[r++];

				t->prefix.len = prefix_len;
				buf_add(&t->prefix, f->lines[j].s, ref->indent);
				emit_chunk(t, ref->target,
					   prefix_len + ref->indent);
				t->prefix.len = prefix_len;
				continue;
			}
			emit_line(t, p->file, j, prefix_len);
		}
	}
}

void tangle_root(struct web *w, struct chunk *root,
		 const struct tangle_opts *o, struct buf *out)
{
	struct tangle t;

	memset(&t, 0, sizeof(t));
	t.w = w;
	t.o = o;
	t.lines = o->lines && lit_wants_lines(root);
	t.out = out;
	t.first = true;
	emit_chunk(&t, root, 0);
	buf_free(&t.prefix);
}
