// SPDX-License-Identifier: GPL-2.0
/* Memory, buffers and file helpers for lit. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "lit.h"

static void out_of_memory(void)
{
	fputs("lit: out of memory\n", stderr);
	exit(1);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xmalloc(n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

void grow(void *arr, size_t *cap, size_t need, size_t size)
{
	void **p = arr;
	size_t c = *cap;

	if (need <= c)
		return;
	if (c < 8)
		c = 8;
	while (c < need) {
		if (c > ((size_t)-1) / 2 / size)
			out_of_memory();
		c *= 2;
	}
	*p = xrealloc(*p, c * size);
	*cap = c;
}

void buf_add(struct buf *b, const void *s, size_t n)
{
	if (!n)
		return;
	grow(&b->p, &b->cap, b->len + n + 1, 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0) {
		grow(&b->p, &b->cap, b->len + (size_t)n + 1, 1);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* FNV-1a, 32 bit. */
uint32_t lit_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

int read_file(const char *path, char **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char tmp[65536];
	size_t n;
	int err;

	if (!f)
		return -1;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	if (ferror(f)) {
		err = errno ? errno : EIO;
		fclose(f);
		buf_free(&b);
		errno = err;
		return -1;
	}
	fclose(f);
	if (!b.p)
		b.p = xcalloc(1, 1);
	*data = b.p;
	*size = b.len;
	return 0;
}

int mkdir_parents(const char *path)
{
	char *p = xstrdup(path);
	char *s;
	struct stat st;

	for (s = p + 1; *s; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
			free(p);
			errno = ENOTDIR;
			return -1;
		}
		*s = '/';
	}
	free(p);
	return 0;
}

static bool same_content(const char *path, const char *data, size_t len)
{
	char *old;
	size_t oldlen;
	bool same;

	if (read_file(path, &old, &oldlen) < 0)
		return false;
	same = oldlen == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

int write_if_changed(const char *path, const char *data, size_t len,
		     bool *written)
{
	struct buf tmp = { 0 };
	FILE *f;
	int err;

	*written = false;
	if (same_content(path, data, len))
		return 0;
	if (mkdir_parents(path) < 0)
		return -1;
	buf_printf(&tmp, "%s.lit-tmp.%ld", path, (long)getpid());
	f = fopen(tmp.p, "wb");
	if (!f)
		goto fail;
	if (fwrite(data, 1, len, f) != len) {
		err = errno;
		fclose(f);
		errno = err;
		goto fail_unlink;
	}
	if (fclose(f) != 0)
		goto fail_unlink;
	if (rename(tmp.p, path) < 0)
		goto fail_unlink;
	buf_free(&tmp);
	*written = true;
	return 0;

fail_unlink:
	err = errno;
	unlink(tmp.p);
	errno = err;
fail:
	err = errno;
	buf_free(&tmp);
	errno = err;
	return -1;
}
