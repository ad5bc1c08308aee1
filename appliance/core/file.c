/* core/file: file registration and access. */
#include <stdio.h>
#include <string.h>
#include "core/file.h"
#include "lib/log.h"
#include "lib/sniff.h"
#include "lib/utf8.h"

/* Keeps a safe display name: the last path component, printable, <= 200 bytes. */
static void clean_name(const char *in, char *out, size_t n)
{
	const char *base = in;
	for (const char *p = in; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)base; *p && k + 1 < n && k < 200; p++)
		out[k++] = (*p < 0x20 || *p == 0x7f || *p == '"' || *p == ';') ? '_' : (char)*p;
	out[k] = 0;
	while (k && ((unsigned char)out[k - 1] & 0xc0) == 0x80) /* do not end inside a character */
		out[--k] = 0;
	if (k && ((unsigned char)out[k - 1] & 0xc0) == 0xc0)
		out[--k] = 0;
	if (!utf8_valid(out, k) || !k || !strcmp(out, ".") || !strcmp(out, ".."))
		snprintf(out, n, "file");
}

int file_register(struct app *app, const struct principal *p, const char *sha256, int64_t size,
		  const unsigned char *head, size_t headlen, const char *filename, struct file_rec *out,
		  struct fe_err *e)
{
	struct sniffed t = sniff(head, headlen, (int64_t)headlen == size);
	memset(out, 0, sizeof *out);
	snprintf(out->sha256, sizeof out->sha256, "%s", sha256);
	snprintf(out->ext, sizeof out->ext, "%s", t.ext);
	snprintf(out->mime_type, sizeof out->mime_type, "%s", t.mime);
	clean_name(filename ? filename : "file", out->filename, sizeof out->filename);
	out->size = size;
	out->uploader_id = p->user_id;
	out->created_at = app->now_ms();
	int rc = app->store.ops->file_insert(app->store.impl, out);
	if (rc)
		return err_set(e, rc, NULL, NULL, rc == FE_ENOSPC ? "the disk is full" : "could not record the file");
	log_info("file: stored sha256=%.12s size=%lld type=%s user=%lld", sha256, (long long)size, t.mime,
		 (long long)p->user_id);
	return 0;
}

int file_open(struct app *app, const struct principal *p, const char *name, struct file_rec *f, int *fd,
	      int64_t *size, struct fe_err *e)
{
	char sha[65];
	const char *dot = strchr(name, '.');
	if (!dot || dot - name != 64 || strspn(name, "0123456789abcdef") != 64 || strchr(dot + 1, '.') ||
	    strlen(dot + 1) >= sizeof f->ext)
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	memcpy(sha, name, 64);
	sha[64] = 0;
	int rc = app->store.ops->file_readable(app->store.impl, sha, p->user_id, f);
	if (rc || strcmp(f->ext, dot + 1))
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	rc = app->blobs.ops->open(app->blobs.impl, sha, fd, size);
	if (rc) {
		log_err("file: blob missing sha256=%s", sha);
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	}
	return 0;
}

int file_inline(const struct file_rec *f)
{
	const struct sniffed *t = sniff_by_ext(f->ext);
	return t && t->inline_ok;
}

int file_resolve_url(struct app *app, const struct principal *p, const char *url, int64_t *id, struct fe_err *e)
{
	struct file_rec f;
	const char *name = !strncmp(url, "/api/files/", 11) ? url + 11 : "";
	const char *dot = strchr(name, '.');
	char sha[65];
	if (dot && dot - name == 64) {
		memcpy(sha, name, 64);
		sha[64] = 0;
		if (!app->store.ops->file_readable(app->store.impl, sha, p->user_id, &f) && !strcmp(f.ext, dot + 1)) {
			*id = f.id;
			return 0;
		}
	}
	return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "files", "unknown file url");
}
