// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lit's line syntax, parser, checks and tangler.
 * Prints "PASS name" or "FAIL name" per test (details on "# " lines);
 * tests/run.sh turns these into numbered results.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lit.h"

static int failures;	/* within the current test */

#define EXPECT(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: expected %s\n", __FILE__,	\
			       __LINE__, #cond);			\
			failures++;					\
		}							\
	} while (0)

#define EXPECT_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!g_ || strcmp(g_, w_)) {				\
			printf("# %s:%d: got \"%s\", want \"%s\"\n",	\
			       __FILE__, __LINE__, g_ ? g_ : "(null)", w_); \
			failures++;					\
		}							\
	} while (0)

static bool ref(const char *s, size_t *indent, char *name)
{
	size_t off, len;

	if (!lit_match_ref(s, strlen(s), indent, &off, &len))
		return false;
	memcpy(name, s + off, len);
	name[len] = '\0';
	return true;
}

static void test_match_ref(void)
{
	size_t indent;
	char name[64];

	EXPECT(ref("<<a>>", &indent, name) && indent == 0 && !strcmp(name, "a"));
	EXPECT(ref("\t  <<helper chunk name>> \t", &indent, name) &&
	       indent == 3 && !strcmp(name, "helper chunk name"));
	EXPECT(ref("<<include/uapi/linux/ioasid.h>>", &indent, name) &&
	       !strcmp(name, "include/uapi/linux/ioasid.h"));
	EXPECT(!ref("x = a << 2 >> 3;", &indent, name));
	EXPECT(!ref("<<a>> + 1", &indent, name));
	EXPECT(!ref("<<>>", &indent, name));
	EXPECT(!ref("<<a<b>>", &indent, name));
	EXPECT(!ref("<<a>>>", &indent, name));
	EXPECT(!ref("<<a>", &indent, name));
	EXPECT(!ref("<< 1", &indent, name));
	EXPECT(!ref("", &indent, name));
	EXPECT(ref("<< 2 >>", &indent, name) && !strcmp(name, " 2 "));
}

static enum attr_result attr(const char *s, char *name, char **rest,
			     const char **why)
{
	struct chunk_attr a;
	enum attr_result r = lit_parse_attr(s, strlen(s), &a);

	name[0] = '\0';
	if (r == ATTR_CHUNK) {
		memcpy(name, s + a.name_off, a.name_len);
		name[a.name_len] = '\0';
	}
	*rest = a.rest;
	*why = a.why;
	return r;
}

static void test_parse_attr(void)
{
	static const struct {
		const char *line, *name, *rest;
	} good[] = {
		{ "[source,c,chunk=\"ioasid core: open\"]", "ioasid core: open", "[source,c]" },
		{ "[source,make,chunk=\"drivers/iommu/ioasid/Makefile\"]",
		  "drivers/iommu/ioasid/Makefile", "[source,make]" },
		{ "[chunk=\"x\",source,c]", "x", "[source,c]" },
		{ "[source, c, chunk=\"x\", linenums]", "x", "[source,c,linenums]" },
		{ "[source,c,title=\"a, chunk=no\",chunk=\"y\"]", "y",
		  "[source,c,title=\"a, chunk=no\"]" },
		{ "[chunk=\"only\"]", "only", "[source]" },
		{ "[source,c,chunk = \"sp\"]", "sp", "[source,c]" },
	};
	static const char *const none[] = {
		"[source,c]", "[[anchor]]", "[source,c,mychunk=\"x\"]",
		"[.chunk-xref]", "plain text chunk=\"x\"", "[]", "[",
		"[source,c,chunks]",
	};
	static const char *const bad[] = {
		"[source,c,chunk=x]", "[source,c,chunk=\"x\"", "[source,chunk=\"a\",chunk=\"b\"]",
		"[source,chunk=\"\"]", "[source,chunk=\"a<b\"]", "[source,chunk=\"a>b\"]",
		"[source,chunk=\"x\"y]", "[source,chunk=\"x]",
	};
	char name[128], *rest;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		EXPECT(attr(good[i].line, name, &rest, &why) == ATTR_CHUNK);
		EXPECT_STR(name, good[i].name);
		EXPECT_STR(rest, good[i].rest);
		free(rest);
	}
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		if (attr(none[i], name, &rest, &why) != ATTR_NONE) {
			printf("# not ATTR_NONE: %s\n", none[i]);
			failures++;
		}
		free(rest);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (attr(bad[i], name, &rest, &why) != ATTR_BAD || !why) {
			printf("# not ATTR_BAD: %s\n", bad[i]);
			failures++;
		}
		free(rest);
	}
}

static void test_line_kinds(void)
{
#define S(x) x, strlen(x)
	EXPECT(lit_marker(S("ifdef::reference[]")) == MARK_IFDEF);
	EXPECT(lit_marker(S("ifndef::reference[]")) == MARK_IFNDEF);
	EXPECT(lit_marker(S("endif::reference[]")) == MARK_ENDIF);
	EXPECT(lit_marker(S("endif::[]")) == MARK_NONE);
	EXPECT(lit_marker(S("ifdef::reference[] ")) == MARK_NONE);
	EXPECT(lit_marker(S("ifdef::backend-html5[]")) == MARK_NONE);
	EXPECT(lit_is_listing_delim(S("----")));
	EXPECT(lit_is_listing_delim(S("--------")));
	EXPECT(!lit_is_listing_delim(S("---")));
	EXPECT(!lit_is_listing_delim(S("---- ")));
	EXPECT(lit_is_verbatim_delim(S("....")));
	EXPECT(lit_is_verbatim_delim(S("++++")));
	EXPECT(lit_is_verbatim_delim(S("////")));
	EXPECT(lit_is_verbatim_delim(S("```c")));
	EXPECT(!lit_is_verbatim_delim(S("====")));
	EXPECT(lit_is_title_line(S(".A title")));
	EXPECT(!lit_is_title_line(S(". not a title")));
	EXPECT(!lit_is_title_line(S("....")));
	EXPECT(!lit_is_title_line(S(".")));
	EXPECT(lit_is_anchor_line(S("[[id]]")));
	EXPECT(lit_is_anchor_line(S("[[id,Some text]]")));
	EXPECT(!lit_is_anchor_line(S("[[[bib]]]")));
	EXPECT(!lit_is_anchor_line(S("[[a]] text")));
	EXPECT(!lit_is_anchor_line(S("[[a]]b]]")));
#undef S
}

static void test_roots(void)
{
	static const struct {
		const char *name;
		bool root;
	} r[] = {
		{ "include/uapi/linux/ioasid.h", true },
		{ "drivers/iommu/ioasid/Kconfig", true },
		{ "ioasid core: open", false },
		{ "helpers", false },
		{ "a/b c", false },
		{ "a/b\tc", false },
		{ "x/", true },
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (lit_is_root_name(r[i].name, strlen(r[i].name)) != r[i].root) {
			printf("# root(%s) != %d\n", r[i].name, r[i].root);
			failures++;
		}
}

static void test_canon_path(void)
{
	static const struct {
		const char *in;
		enum path_kind kind;
		const char *canon;
	} c[] = {
		{ "a/b.c", PATH_CANONICAL, "a/b.c" },
		{ "drivers/iommu/ioasid/Kconfig", PATH_CANONICAL, "drivers/iommu/ioasid/Kconfig" },
		{ "a//b.c", PATH_SPELLED_ODDLY, "a/b.c" },
		{ "./a/b.c", PATH_SPELLED_ODDLY, "a/b.c" },
		{ "a/./b.c", PATH_SPELLED_ODDLY, "a/b.c" },
		{ "a/b/", PATH_SPELLED_ODDLY, "a/b" },
		{ "/a/b.c", PATH_INVALID, NULL },
		{ "a/../b.c", PATH_INVALID, NULL },
		{ "../b.c", PATH_INVALID, NULL },
		{ "a/..", PATH_INVALID, NULL },
		{ "./", PATH_INVALID, NULL },
		{ ".//.", PATH_INVALID, NULL },
		{ "a/..b/c", PATH_CANONICAL, "a/..b/c" },
	};
	size_t i;
	char *canon;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		enum path_kind k = lit_canon_path(c[i].in, &canon);

		if (k != c[i].kind) {
			printf("# canon(%s): kind %d, want %d\n", c[i].in, k,
			       c[i].kind);
			failures++;
		}
		if (c[i].canon)
			EXPECT_STR(canon, c[i].canon);
		else
			EXPECT(canon == NULL);
		free(canon);
	}
}

static void test_slug(void)
{
	static const char *const s[][2] = {
		{ "ioasid core: open", "ioasid-core-open" },
		{ "include/uapi/linux/ioasid.h", "include-uapi-linux-ioasid-h" },
		{ "--Hello,  World--", "hello-world" },
		{ "\xe2\x9f\xa8x\xe2\x9f\xa9", "x" },
		{ "***", "" },
		{ "a_b", "a-b" },
	};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		char *got = lit_slug(s[i][0]);

		EXPECT_STR(got, s[i][1]);
		free(got);
	}
}

static void add_text(struct web *w, const char *path, const char *text)
{
	web_add_text(w, path, xstrdup(text), strlen(text));
}

static const char web_text[] =
	"// SPDX-License-Identifier: GPL-2.0\n"		/* 1 */
	"= Doc\n"					/* 2 */
	"\n"						/* 3 */
	"[[user]]\n"					/* 4 */
	".Main file\n"					/* 5 */
	"[source,c,chunk=\"dir/main.c\"]\n"		/* 6 */
	"----\n"					/* 7 */
	"// SPDX-License-Identifier: GPL-2.0\n"		/* 8 */
	"int main(void)\n"				/* 9 */
	"{\n"						/* 10 */
	"\t<<body>>\n"					/* 11 */
	"}\n"						/* 12 */
	"----\n"					/* 13 */
	"\n"						/* 14 */
	"[source,c]\n"					/* 15 */
	"----\n"					/* 16 */
	"[source,c,chunk=\"not a chunk\"]\n"		/* 17 */
	"----\n"					/* 18 */
	"ifdef::reference[]\n"				/* 19 */
	"[source,c,chunk=\"body\"]\n"			/* 20 */
	"------\n"					/* 21 */
	"x = 1 << 2;\n"					/* 22 */
	"\n"						/* 23 */
	"if (x)\n"					/* 24 */
	"\ty = x >> 1;\n"				/* 25 */
	"------\n"					/* 26 */
	"endif::reference[]\n"				/* 27 */
	"[source,c,chunk=\"body\"]\n"			/* 28 */
	"----\n"					/* 29 */
	"return 0;\n"					/* 30 */
	"----\n";					/* 31 */

static void test_web_parse(void)
{
	struct web w;
	struct chunk *main_c, *body;
	struct src *f;

	web_init(&w);
	add_text(&w, "t.adoc", web_text);
	EXPECT(web_check(&w) == 0);
	EXPECT(w.nchunks == 2);
	f = &w.files[0];
	EXPECT(f->nlines == 31);
	EXPECT(f->npieces == 3);
	main_c = web_find(&w, "dir/main.c", 10);
	body = web_find(&w, "body", 4);
	EXPECT(main_c && main_c->root && main_c->npieces == 1);
	EXPECT(body && !body->root && body->npieces == 2);
	EXPECT(!web_find(&w, "not a chunk", 11));
	if (main_c && body) {
		struct piece *p = main_c->first;

		EXPECT(p->prefix == 3 && p->attr == 5 && p->open == 6 &&
		       p->close == 12);
		EXPECT(p->nrefs == 1 && p->refs[0].line == 10 &&
		       p->refs[0].indent == 1 && p->refs[0].target == body);
		EXPECT_STR(p->attrs, "[source,c]");
		EXPECT(body->first->region == REGION_REF);
		EXPECT(body->last->region == REGION_ALL);
		EXPECT(body->first->open == 20 && body->first->close == 25);
		EXPECT(body->last->no == 2);
		EXPECT(body->nusers == 1 && body->users[0] == p);
	}
	web_free(&w);
}

static void test_tangle(void)
{
	static const char want_lines[] =
		"// SPDX-License-Identifier: GPL-2.0\n"
		"#line 9 \"t.adoc\"\n"
		"int main(void)\n"
		"{\n"
		"#line 22 \"t.adoc\"\n"
		"\tx = 1 << 2;\n"
		"\n"
		"\tif (x)\n"
		"\t\ty = x >> 1;\n"
		"#line 30 \"t.adoc\"\n"
		"\treturn 0;\n"
		"#line 12 \"t.adoc\"\n"
		"}\n";
	static const char want_plain[] =
		"// SPDX-License-Identifier: GPL-2.0\n"
		"int main(void)\n"
		"{\n"
		"\tx = 1 << 2;\n"
		"\n"
		"\tif (x)\n"
		"\t\ty = x >> 1;\n"
		"\treturn 0;\n"
		"}\n";
	struct tangle_opts on = { true, NULL }, off = { false, NULL };
	struct buf a = { 0 }, b = { 0 };
	struct web w;
	struct chunk *c;

	web_init(&w);
	add_text(&w, "t.adoc", web_text);
	EXPECT(web_check(&w) == 0);
	c = web_find(&w, "dir/main.c", 10);
	EXPECT(c != NULL);
	if (c) {
		tangle_root(&w, c, &on, &a);
		tangle_root(&w, c, &off, &b);
		EXPECT_STR(a.p, want_lines);
		EXPECT_STR(b.p, want_plain);
	}
	buf_free(&a);
	buf_free(&b);
	web_free(&w);
}

static void test_line_root(void)
{
	struct tangle_opts o = { true, "../src" };
	struct buf out = { 0 };
	struct web w;

	web_init(&w);
	add_text(&w, "x\"y.adoc",
		 "[source,c,chunk=\"a/b.c\"]\n----\nint x;\n----\n");
	EXPECT(web_check(&w) == 0);
	tangle_root(&w, w.chunks[0], &o, &out);
	EXPECT_STR(out.p, "#line 3 \"../src/x\\\"y.adoc\"\nint x;\n");
	buf_free(&out);
	web_free(&w);
}

static void test_many_chunks(void)
{
	struct web w;
	struct buf b = { 0 };
	char name[32];
	size_t i;

	web_init(&w);
	buf_adds(&b, "[source,c,chunk=\"out/all.c\"]\n----\n");
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "<<c%zu>>\n", i);
	buf_adds(&b, "----\n");
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "[source,c,chunk=\"c%zu\"]\n----\nint v%zu;\n----\n",
			   i, i);
	web_add_text(&w, "many.adoc", b.p, b.len);
	EXPECT(web_check(&w) == 0);
	EXPECT(w.nchunks == 3001);
	for (i = 0; i < 3000; i += 7) {
		snprintf(name, sizeof(name), "c%zu", i);
		EXPECT(web_find(&w, name, strlen(name)) == w.chunks[i + 1]);
	}
	EXPECT(!web_find(&w, "c3000", 5));
	web_free(&w);
}

static void test_diag_order(void)
{
	struct web w;

	web_init(&w);
	add_text(&w, "a.adoc",
		 "[source,c,chunk=\"x/y.c\"]\n----\n<<b>>\n<<nope>>\n----\n"
		 "[source,c,chunk=\"b\"]\n----\n<<b>>\n----\n"
		 "[source,c,chunk=\"lonely\"]\n----\n----\n");
	EXPECT(web_check(&w) == 3);
	if (w.ndiags == 3) {
		EXPECT(w.diags[0].line == 3);
		EXPECT(strstr(w.diags[0].msg, "undefined chunk \"nope\""));
		EXPECT(w.diags[1].line == 9);
		EXPECT_STR(w.diags[1].msg, "chunk \"lonely\" is never referenced (and is not a root: a root name contains '/' and no white space)");
		EXPECT(w.diags[2].line == 7);
		EXPECT_STR(w.diags[2].msg, "reference cycle: \"b\" -> \"b\"");
	}
	web_free(&w);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "unit: reference lines", test_match_ref },
	{ "unit: chunk attribute lists", test_parse_attr },
	{ "unit: line kinds", test_line_kinds },
	{ "unit: root names", test_roots },
	{ "unit: root path canonicalisation", test_canon_path },
	{ "unit: anchor slugs", test_slug },
	{ "unit: parsing a web", test_web_parse },
	{ "unit: tangling with and without #line", test_tangle },
	{ "unit: #line file names", test_line_root },
	{ "unit: many chunks", test_many_chunks },
	{ "unit: diagnostics", test_diag_order },
};

int main(void)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		failures = 0;
		tests[i].fn();
		printf("%s %s\n", failures ? "FAIL" : "PASS", tests[i].name);
		failed += failures != 0;
	}
	return failed != 0;
}
