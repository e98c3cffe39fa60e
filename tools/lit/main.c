// SPDX-License-Identifier: GPL-2.0
/* lit: command line. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lit.h"

static const char usage_text[] =
"usage: lit tangle [--no-line] [--line-root PREFIX] -o OUTDIR FILE.adoc...\n"
"       lit weave --doc=spec|reference [--index-level N] -o OUTDIR FILE.adoc...\n"
"       lit check FILE.adoc...\n"
"       lit roots FILE.adoc...\n"
"       lit --help\n";

static const char help_text[] =
"\n"
"Literate programming with AsciiDoc.  A chunk is a listing block whose\n"
"attribute list names it:\n"
"\n"
"    [source,c,chunk=\"ioasid core: open\"]\n"
"    ----\n"
"    static int x;\n"
"    \t<<helper chunk name>>\n"
"    ----\n"
"\n"
"A later block with the same name continues the chunk.  A line holding\n"
"only <<name>> (after optional indentation) includes that chunk, indented\n"
"alike.  A chunk whose name contains '/' and no white space is a root: an\n"
"output file.  Lines between ifdef::reference[] (or ifndef::reference[])\n"
"and endif::reference[] belong to the reference (or spec) document only.\n"
"\n"
"commands:\n"
"  tangle   write every root below OUTDIR (only files whose content changed);\n"
"           .c and .h roots get #line directives pointing into the .adoc\n"
"           --no-line           emit no #line directives\n"
"           --line-root PREFIX  prefix the file names in #line directives\n"
"  weave    write each input as woven AsciiDoc to OUTDIR/BASENAME, plus\n"
"           OUTDIR/chunk-index.adoc\n"
"           --doc=spec|reference  which document to produce\n"
"           --index-level N       '=' count of the index heading (default 2)\n"
"  check    run all checks, write nothing\n"
"  roots    print the root names, one per line\n"
"\n"
"Errors are reported as FILE:LINE: error: MESSAGE; the exit status is then 1\n"
"and nothing is written.  Usage errors exit with status 2.\n";

enum cmd { CMD_TANGLE, CMD_WEAVE, CMD_CHECK, CMD_ROOTS };

struct opts {
	enum cmd cmd;
	const char *outdir;
	bool no_line;
	const char *line_root;
	int doc;		/* -1 unset, else enum doc */
	int index_level;
	const char **files;
	size_t nfiles;
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("lit: ", stderr);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	fputs(usage_text, stderr);
	return 2;
}

/* Match "--name=value" or "--name value"; returns 1 if matched, -1 on error. */
static int opt_value(const char *name, int argc, char **argv, int *i,
		     const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	const char *cmd = argv[1], *val;
	bool dashdash = false;
	int i, m;
	size_t k;

	memset(o, 0, sizeof(*o));
	o->doc = -1;
	o->index_level = 2;
	if (!strcmp(cmd, "tangle"))
		o->cmd = CMD_TANGLE;
	else if (!strcmp(cmd, "weave"))
		o->cmd = CMD_WEAVE;
	else if (!strcmp(cmd, "check"))
		o->cmd = CMD_CHECK;
	else if (!strcmp(cmd, "roots"))
		o->cmd = CMD_ROOTS;
	else
		return usage_error("unknown command '%s'", cmd);
	o->files = xcalloc((size_t)argc, sizeof(*o->files));
	for (i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || !a[1]) {
			o->files[o->nfiles++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			fputs(help_text, stdout);
			exit(0);
		} else if (o->cmd == CMD_TANGLE && !strcmp(a, "--no-line")) {
			o->no_line = true;
		} else if (o->cmd == CMD_TANGLE &&
			   (m = opt_value("--line-root", argc, argv, &i, &val))) {
			if (m < 0)
				return usage_error("%s needs a value", a);
			o->line_root = val;
		} else if ((o->cmd == CMD_TANGLE || o->cmd == CMD_WEAVE) &&
			   !strncmp(a, "-o", 2) && a[2]) {
			o->outdir = a + 2;
		} else if ((o->cmd == CMD_TANGLE || o->cmd == CMD_WEAVE) &&
			   ((m = opt_value("-o", argc, argv, &i, &val)) ||
			    (m = opt_value("--output", argc, argv, &i, &val)))) {
			if (m < 0)
				return usage_error("%s needs a value", a);
			o->outdir = val;
		} else if (o->cmd == CMD_WEAVE &&
			   (m = opt_value("--doc", argc, argv, &i, &val))) {
			if (m < 0)
				return usage_error("%s needs a value", a);
			if (!strcmp(val, "spec"))
				o->doc = DOC_SPEC;
			else if (!strcmp(val, "reference"))
				o->doc = DOC_REFERENCE;
			else
				return usage_error("--doc must be spec or reference, not '%s'",
						   val);
		} else if (o->cmd == CMD_WEAVE &&
			   (m = opt_value("--index-level", argc, argv, &i, &val))) {
			if (m < 0)
				return usage_error("%s needs a value", a);
			if (strlen(val) != 1 || val[0] < '1' || val[0] > '6')
				return usage_error("--index-level must be 1 to 6, not '%s'",
						   val);
			o->index_level = val[0] - '0';
		} else {
			return usage_error("unknown option '%s'", a);
		}
	}
	if ((o->cmd == CMD_TANGLE || o->cmd == CMD_WEAVE) &&
	    (!o->outdir || !*o->outdir))
		return usage_error("%s needs -o OUTDIR", cmd);
	if (o->cmd == CMD_WEAVE && o->doc < 0)
		return usage_error("%s needs --doc=spec or --doc=reference", cmd);
	if (!o->nfiles)
		return usage_error("%s needs at least one input file", cmd);
	for (i = 1; (size_t)i < o->nfiles; i++)
		for (k = 0; k < (size_t)i; k++)
			if (!strcmp(o->files[i], o->files[k]))
				return usage_error("input file '%s' given twice",
						   o->files[i]);
	return 0;
}

struct output {
	char *path;
	struct buf text;
};

static char *join_path(const char *dir, const char *name)
{
	struct buf b = { 0 };
	size_t n = strlen(dir);

	buf_adds(&b, dir);
	if (n && dir[n - 1] != '/')
		buf_addc(&b, '/');
	buf_adds(&b, name);
	return b.p;
}

static int write_outputs(struct output *out, size_t n)
{
	size_t i;
	bool written;

	for (i = 0; i < n; i++) {
		if (write_if_changed(out[i].path, out[i].text.p ? out[i].text.p : "",
				     out[i].text.len, &written) < 0) {
			fprintf(stderr, "lit: cannot write %s: %s\n",
				out[i].path, strerror(errno));
			return 1;
		}
	}
	return 0;
}

static void free_outputs(struct output *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(out[i].path);
		buf_free(&out[i].text);
	}
	free(out);
}

static int do_tangle(struct web *w, const struct opts *o)
{
	struct tangle_opts to = { !o->no_line, o->line_root };
	struct output *out = xcalloc(w->nchunks, sizeof(*out));
	size_t i, n = 0;
	int rc;

	for (i = 0; i < w->nchunks; i++) {
		struct chunk *c = w->chunks[i];

		if (!c->root)
			continue;
		out[n].path = join_path(o->outdir, c->name);
		tangle_root(w, c, &to, &out[n].text);
		n++;
	}
	rc = write_outputs(out, n);
	free_outputs(out, n);
	return rc;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int do_weave(struct web *w, const struct opts *o)
{
	struct output *out = xcalloc(w->nfiles + 1, sizeof(*out));
	size_t i, k;
	int rc = 0;

	for (i = 0; i < w->nfiles && !rc; i++) {
		const char *b = base_name(w->files[i].path);
		struct stat si, so;

		if (!*b || !strcmp(b, "chunk-index.adoc")) {
			fprintf(stderr, "lit: %s: input file name clashes with the woven output\n",
				w->files[i].path);
			rc = 1;
		}
		for (k = 0; k < i && !rc; k++)
			if (!strcmp(b, base_name(w->files[k].path))) {
				fprintf(stderr, "lit: %s and %s would both be woven to %s\n",
					w->files[k].path, w->files[i].path, b);
				rc = 1;
			}
		out[i].path = join_path(o->outdir, b);
		if (!rc && stat(out[i].path, &so) == 0 &&
		    stat(w->files[i].path, &si) == 0 &&
		    si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
			fprintf(stderr, "lit: weaving %s to %s would overwrite it\n",
				w->files[i].path, out[i].path);
			rc = 1;
		}
	}
	if (!rc) {
		weave_prepare(w, (enum doc)o->doc);
		for (i = 0; i < w->nfiles; i++)
			weave_file(w, i, (enum doc)o->doc, &out[i].text);
		out[w->nfiles].path = join_path(o->outdir, "chunk-index.adoc");
		weave_index(w, o->index_level, &out[w->nfiles].text);
		rc = write_outputs(out, w->nfiles + 1);
	}
	free_outputs(out, w->nfiles + 1);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct web w;
	size_t i;
	int rc;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		fputs(help_text, stdout);
		return 0;
	}
	rc = parse_args(argc, argv, &o);
	if (rc) {
		free(o.files);
		return rc;
	}
	web_init(&w);
	for (i = 0; i < o.nfiles; i++) {
		if (web_add_file(&w, o.files[i]) < 0) {
			fprintf(stderr, "lit: cannot read %s: %s\n", o.files[i],
				strerror(errno));
			rc = 1;
			goto out;
		}
	}
	if (web_check(&w)) {
		web_print_diags(&w);
		rc = 1;
		goto out;
	}
	switch (o.cmd) {
	case CMD_TANGLE:
		rc = do_tangle(&w, &o);
		break;
	case CMD_WEAVE:
		rc = do_weave(&w, &o);
		break;
	case CMD_ROOTS:
		for (i = 0; i < w.nchunks; i++)
			if (w.chunks[i]->root)
				printf("%s\n", w.chunks[i]->name);
		if (fflush(stdout) != 0)
			rc = 1;
		break;
	case CMD_CHECK:
		break;
	}
out:
	web_free(&w);
	free(o.files);
	return rc;
}
