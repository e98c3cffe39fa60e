// SPDX-License-Identifier: GPL-2.0
/*
 * lit - a small literate-programming tool for AsciiDoc sources.
 *
 * Chunks are AsciiDoc listing blocks whose attribute list carries
 * chunk="NAME".  "lit tangle" expands them into source files, "lit weave"
 * turns them into cross-referenced AsciiDoc.  This header is shared by the
 * tool and by its unit tests.
 */
#ifndef LIT_H
#define LIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIT_NONE ((size_t)-1)

/* ---- util.c ----------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrndup(const char *s, size_t n);
char *xstrdup(const char *s);
/* Make room for at least @need elements of @size bytes in *@arr. */
void grow(void *arr, size_t *cap, size_t need, size_t size);

void buf_add(struct buf *b, const void *s, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

uint32_t lit_hash(const char *s, size_t n);

/* Read a whole file; returns 0 or -1 with errno set. */
int read_file(const char *path, char **data, size_t *size);
/* Create all directories leading to @path (not @path itself). */
int mkdir_parents(const char *path);
/*
 * Write @data to @path unless the file already holds exactly that.
 * Sets *@written when the file was (re)written.  Returns 0 or -1.
 */
int write_if_changed(const char *path, const char *data, size_t len,
		     bool *written);

/* ---- parse.c: line syntax ------------------------------------------- */

enum marker {
	MARK_NONE,
	MARK_IFDEF,	/* ifdef::reference[]  - reference document only */
	MARK_IFNDEF,	/* ifndef::reference[] - spec document only */
	MARK_ENDIF,	/* endif::reference[] */
};

enum marker lit_marker(const char *s, size_t n);
bool lit_is_listing_delim(const char *s, size_t n);
/* Delimiter of an ordinary verbatim block (listing, literal, pass, ...). */
bool lit_is_verbatim_delim(const char *s, size_t n);
bool lit_is_title_line(const char *s, size_t n);
bool lit_is_anchor_line(const char *s, size_t n);

/*
 * Recognise a reference line "^([ \t]*)<<([^<>]+)>>[ \t]*$".
 * On success sets the indentation length and the name's offset/length.
 */
bool lit_match_ref(const char *s, size_t n, size_t *indent,
		   size_t *name_off, size_t *name_len);

enum attr_result {
	ATTR_NONE,	/* not a chunk attribute line */
	ATTR_CHUNK,	/* valid chunk attribute line */
	ATTR_BAD,	/* looks like one but is malformed; see why */
};

struct chunk_attr {
	size_t name_off, name_len;	/* NAME inside the line */
	char *rest;			/* "[source,c]" without chunk=, malloc'd */
	const char *why;		/* reason for ATTR_BAD */
};

enum attr_result lit_parse_attr(const char *s, size_t n,
				struct chunk_attr *a);

/* A root names an output file: it contains '/' and no white space. */
bool lit_is_root_name(const char *s, size_t n);

enum path_kind {
	PATH_CANONICAL,		/* "a/b.c" */
	PATH_SPELLED_ODDLY,	/* "a//b.c", "a/./b.c", "a/b.c/" */
	PATH_INVALID,		/* absolute, "..", or nothing left */
};

/* Classify a root path; *@canon (malloc'd) gets the canonical spelling. */
enum path_kind lit_canon_path(const char *s, char **canon);

/* Anchor-safe slug of a chunk name ("ioasid core: open" -> "ioasid-core-open"). */
char *lit_slug(const char *name);

/* ---- parse.c: the web ------------------------------------------------- */

struct line {
	const char *s;
	size_t len;
};

enum region {
	REGION_ALL,	/* outside any conditional region */
	REGION_REF,	/* inside ifdef::reference[] */
	REGION_SPEC,	/* inside ifndef::reference[] */
};

struct chunk;

struct ref {
	size_t line;		/* line index of the reference */
	size_t indent;		/* length of its indentation */
	size_t name_off, name_len;
	struct chunk *target;
};

struct piece {
	struct chunk *chunk;
	size_t file;		/* index into web.files */
	size_t prefix;		/* first .title / [[anchor]] line, or attr */
	size_t attr;		/* the [source,...,chunk="..."] line */
	size_t open, close;	/* delimiter lines; the body lies between */
	enum region region;
	unsigned no;		/* 1-based number among the chunk's pieces */
	struct ref *refs;
	size_t nrefs, refs_cap;
	char *attrs;		/* attribute list without chunk= */
	struct piece *next;	/* next piece of the same chunk */
	/* set per woven document */
	bool vis;
	unsigned vis_no;
};

struct chunk {
	char *name;
	size_t name_len;
	size_t order;		/* index in web.chunks */
	bool root;
	struct piece *first, *last;
	unsigned npieces;
	struct piece **users;	/* distinct pieces referencing this chunk */
	size_t nusers, users_cap;
	char *anchor;		/* anchor base, e.g. "chunk-ioasid-core" */
	int mark;		/* cycle search state */
	size_t depth;		/* position on the cycle search stack */
	/* set per woven document */
	unsigned nvis;
	struct piece *first_vis;
};

struct src {
	char *path;
	char *data;
	struct line *lines;
	size_t nlines;
	struct piece **pieces;
	size_t npieces, pieces_cap;
};

struct diag {
	size_t file, line, seq;
	char *msg;
};

struct web {
	struct src *files;
	size_t nfiles, files_cap;
	struct chunk **chunks;	/* in order of first definition */
	size_t nchunks, chunks_cap;
	struct chunk **tab;	/* hash table by name */
	size_t tabsize;
	struct diag *diags;
	size_t ndiags, diags_cap;
};

void web_init(struct web *w);
void web_free(struct web *w);
/* Load and parse one file; returns -1 (with errno) if it can't be read. */
int web_add_file(struct web *w, const char *path);
/* Parse a file held in memory (takes ownership of @data). */
void web_add_text(struct web *w, const char *path, char *data, size_t size);
struct chunk *web_find(struct web *w, const char *name, size_t len);

void diag(struct web *w, size_t file, size_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- check.c ---------------------------------------------------------- */

/* Resolve references and run every check; returns the number of errors. */
size_t web_check(struct web *w);
/* Print diagnostics in source order as "FILE:LINE: error: MSG". */
void web_print_diags(struct web *w);

/* ---- tangle.c --------------------------------------------------------- */

struct tangle_opts {
	bool lines;		/* emit #line directives for .c/.h roots */
	const char *line_root;	/* prefix for file names in #line, or NULL */
};

bool lit_wants_lines(const struct chunk *root);
void tangle_root(struct web *w, struct chunk *root,
		 const struct tangle_opts *o, struct buf *out);

/* ---- weave.c ---------------------------------------------------------- */

enum doc { DOC_SPEC, DOC_REFERENCE };

/* Compute piece visibility and anchors for @doc; call before weaving. */
void weave_prepare(struct web *w, enum doc doc);
void weave_file(struct web *w, size_t file, enum doc doc, struct buf *out);
void weave_index(struct web *w, int level, struct buf *out);

#endif
