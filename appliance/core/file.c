/* core/file: file registration, the file-read rule and what a file may be
 * used for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/file.h"
#include "lib/log.h"
#include "lib/sniff.h"
#include "lib/utf8.h"

#define URL_PREFIX_LEN (sizeof FILE_URL_PREFIX - 1)

void file_url(const struct file_rec *f, char *out, size_t n)
{
	snprintf(out, n, FILE_URL_PREFIX "%s.%s", f->sha256, f->ext);
}

int file_url_like(const char *s)
{
	return !strncmp(s, FILE_URL_PREFIX, URL_PREFIX_LEN);
}

int file_name_parse(const char *name, int allow_short, struct file_name *out)
{
	const char *dot = strchr(name, '.');
	size_t hex = dot ? (size_t)(dot - name) : 0;
	memset(out, 0, sizeof *out);
	if (!dot || (hex != 64 && !(allow_short && hex == 58)) || strspn(name, "0123456789abcdef") != hex ||
	    strchr(dot + 1, '.') || !dot[1] || strlen(dot + 1) >= sizeof out->ext)
		return FE_ENOTFOUND;
	memcpy(hex == 64 ? out->sha256 : out->suffix, name, hex);
	strcpy(out->ext, dot + 1);
	return 0;
}

int file_url_parse(const char *url, struct file_name *out)
{
	return file_url_like(url) ? file_name_parse(url + URL_PREFIX_LEN, 0, out) : FE_ENOTFOUND;
}

/* The rule itself, asking only as far as weakest: the store questions for
 * weaker reasons are not asked. */
static int grant(struct app *app, int64_t user_id, const struct file_rec *f, enum file_grant weakest,
                 enum file_grant *how)
{
	int rc;
	*how = FILE_NO_ACCESS;
	if (f->uploader_id == user_id) {
		*how = FILE_UPLOADER;
		return 0;
	}
	if (weakest < FILE_IN_CHAT)
		return 0;
	if ((rc = store_call(&app->store, file_in_chats_of, f->id, user_id)) != FE_ENOTFOUND) {
		if (!rc)
			*how = FILE_IN_CHAT;
		return rc;
	}
	if (weakest < FILE_AVATAR)
		return 0;
	if ((rc = store_call(&app->store, file_avatar_in_workspace_of, f->id, user_id)) != FE_ENOTFOUND) {
		if (!rc)
			*how = FILE_AVATAR;
		return rc;
	}
	return 0;
}

int file_access(struct app *app, int64_t user_id, const struct file_rec *f, enum file_grant *how)
{
	return grant(app, user_id, f, FILE_AVATAR, how);
}

/* The row of the content called fn (a full name) that gives user the
 * strongest reason to read it, if that reason is at least as strong as
 * weakest: *f, *how. FE_ENOTFOUND when none does. */
static int pick(struct app *app, int64_t user, const struct file_name *fn, enum file_grant weakest,
                struct file_rec *f, enum file_grant *how)
{
	struct file_rec *rows;
	size_t n;
	int rc;
	*how = FILE_NO_ACCESS;
	if (!*fn->sha256)
		return FE_ENOTFOUND;
	if ((rc = store_call(&app->store, files_by_sha, fn->sha256, &rows, &n)))
		return rc;
	for (size_t i = 0; i < n && *how != FILE_UPLOADER; i++) {
		enum file_grant g;
		if (strcmp(rows[i].ext, fn->ext))
			continue;
		if ((rc = grant(app, user, &rows[i], weakest, &g)))
			break;
		if (g != FILE_NO_ACCESS && (*how == FILE_NO_ACCESS || g < *how)) {
			*how = g;
			*f = rows[i];
		}
	}
	free(rows);
	return rc ? rc : *how == FILE_NO_ACCESS ? FE_ENOTFOUND : 0;
}

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
	int rc = store_call(&app->store, file_insert, out);
	if (rc)
		return err_set(e, rc, NULL, NULL,
		               rc == FE_ENOSPC ? "the disk is full" : "could not record the file");
	log_info("file: stored sha256=%.12s size=%lld type=%s user=%lld", sha256, (long long)size, t.mime,
	         (long long)p->user_id);
	return 0;
}

/* file_open of a parsed full name. */
static int open_name(struct app *app, const struct principal *p, const struct file_name *fn,
                     struct file_rec *f, int *fd, int64_t *size, struct fe_err *e)
{
	enum file_grant how;
	int rc = pick(app, p->user_id, fn, FILE_AVATAR, f, &how);
	if (rc == FE_ENOTFOUND)
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	if (rc)
		return err_store(e, rc);
	rc = app->blobs.ops->open(app->blobs.impl, f->sha256, fd, size);
	if (rc) {
		log_err("file: blob missing sha256=%s", f->sha256);
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	}
	return 0;
}

int file_open(struct app *app, const struct principal *p, const char *name, struct file_rec *f, int *fd,
              int64_t *size, struct fe_err *e)
{
	struct file_name fn;
	if (file_name_parse(name, 0, &fn))
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	return open_name(app, p, &fn, f, fd, size, e);
}

int file_open_download(struct app *app, const struct principal *p, const char *name, struct file_rec *f,
                       int *fd, int64_t *size, struct fe_err *e)
{
	struct file_name fn;
	if (file_name_parse(name, 1, &fn))
		return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
	if (!*fn.sha256) { /* the original's on-disk name: the one content ending so */
		int rc = store_call(&app->store, file_sha_by_suffix, fn.suffix, fn.ext, fn.sha256);
		if (rc == FE_ENOTFOUND)
			return err_set(e, FE_ENOTFOUND, "NOT_FOUND", NULL, "no such file");
		if (rc)
			return err_store(e, rc);
	}
	return open_name(app, p, &fn, f, fd, size, e);
}

int file_inline(const struct file_rec *f)
{
	const struct sniffed *t = sniff_by_ext(f->ext);
	return t && t->inline_ok;
}

int file_check_attach(struct app *app, const struct principal *p, int64_t id, struct fe_err *e)
{
	struct file_rec f;
	enum file_grant how = FILE_NO_ACCESS;
	int rc = store_call(&app->store, file_get, id, &f);
	if (!rc)
		rc = grant(app, p->user_id, &f, FILE_IN_CHAT, &how);
	if (rc && rc != FE_ENOTFOUND)
		return err_store(e, rc);
	if (how == FILE_NO_ACCESS)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "files", "file %lld is not yours to share",
		               (long long)id);
	return 0;
}

int file_resolve_url(struct app *app, const struct principal *p, const char *url, int64_t *id,
                     struct fe_err *e)
{
	struct file_rec f;
	enum file_grant how;
	struct file_name fn;
	int rc = file_url_parse(url, &fn);
	if (!rc)
		rc = pick(app, p->user_id, &fn, FILE_IN_CHAT, &f, &how);
	if (rc == FE_ENOTFOUND)
		return err_set(e, FE_EINVAL, "VALIDATION_ERROR", "files", "unknown file url");
	if (rc)
		return err_store(e, rc);
	*id = f.id;
	return 0;
}

int file_avatar(struct app *app, const struct principal *p, int64_t id, const char *url, struct file_rec *f,
                struct fe_err *e)
{
	const char *field = url ? "avatar_url" : "avatar_file_id";
	enum file_grant how = FILE_NO_ACCESS;
	struct file_name fn;
	int rc;
	if (url)
		rc = file_url_parse(url, &fn) ? FE_ENOTFOUND
		                              : pick(app, p->user_id, &fn, FILE_UPLOADER, f, &how);
	else if (!(rc = store_call(&app->store, file_get, id, f)))
		how = f->uploader_id == p->user_id ? FILE_UPLOADER : FILE_NO_ACCESS;
	if (rc && rc != FE_ENOTFOUND)
		return err_store(e, rc);
	if (how != FILE_UPLOADER)
		return err_set(e, FE_EINVAL, "INVALID_AVATAR", field,
		               "the picture must be an image you uploaded");
	if (!file_inline(f))
		return err_set(e, FE_EINVAL, "INVALID_AVATAR", field,
		               "the picture must be a PNG, JPEG, GIF or WebP image");
	return 0;
}
