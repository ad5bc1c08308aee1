/* http/upload: multipart/form-data uploads with libwebsockets' parser
 * (lws_spa). The bytes of the part named "file" stream to the blob store
 * as they arrive (never held whole in memory); the first 512 bytes are kept
 * for type sniffing. The caller was authenticated before the body. */
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include "core/limits.h"
#include "http/http.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define HEAD_MAX 512

struct upload {
	struct lws_spa *spa;
	struct blob_writer *w;
	int64_t size, limit;
	unsigned char head[HEAD_MAX];
	size_t headlen;
	char filename[256];
	int files, done;
	int rc; /* first error: FE_ETOOBIG, FE_ENOSPC, ... */
};

static const char *const param_names[] = {"file"};

static int on_part(void *data, const char *name, const char *filename, char *buf, int len,
                   enum lws_spa_fileupload_states state)
{
	struct req *r = data;
	struct upload *u = r->upload;
	struct blobs *b = &r->app->blobs;
	if (u->rc || strcmp(name, "file"))
		return 0; /* after an error, or another field: ignore */
	switch (state) {
	case LWS_UFS_OPEN:
		if (u->files++) {
			u->rc = FE_EINVAL; /* one file per request */
			return 0;
		}
		snprintf(u->filename, sizeof u->filename, "%s", filename ? filename : "");
		u->rc = b->ops->begin(b->impl, &u->w);
		return 0;
	case LWS_UFS_CONTENT:
	case LWS_UFS_FINAL_CONTENT:
		if (!u->w)
			return 0;
		if (u->size + len > u->limit) {
			u->rc = FE_ETOOBIG;
			return 0;
		}
		if (len > 0 && u->headlen < HEAD_MAX) {
			size_t k = HEAD_MAX - u->headlen < (size_t)len ? HEAD_MAX - u->headlen : (size_t)len;
			memcpy(u->head + u->headlen, buf, k);
			u->headlen += k;
		}
		if (len > 0)
			u->rc = b->ops->write(b->impl, u->w, buf, (size_t)len);
		u->size += len;
		if (state == LWS_UFS_FINAL_CONTENT)
			u->done = 1;
		return 0;
	case LWS_UFS_CLOSE:
		return 0;
	}
	return 0;
}

static void upload_body(struct req *r, const void *in, size_t len);
static void upload_free(struct req *r);

int upload_start(struct req *r, handler_fn done)
{
	struct fe_err e = {0};
	if (limits_hit(r->app, LIMIT_UPLOAD, r->who.user_id, &e)) { /* refused before the body is read */
		resp_err(r, &e);
		return -1;
	}
	char ct[160] = "";
	lws_hdr_copy(r->wsi, ct, sizeof ct, WSI_TOKEN_HTTP_CONTENT_TYPE);
	if (strncasecmp(ct, "multipart/form-data", 19) || !strstr(ct, "boundary=")) {
		resp_fail(r, FE_EMEDIA, "UNSUPPORTED_MEDIA_TYPE", NULL,
		          "the body must be multipart/form-data");
		return -1;
	}
	struct upload *u = xcalloc(1, sizeof *u);
	u->limit = r->app->cfg->upload_limit;
	r->upload = u;
	r->on_close = upload_free;
	u->spa = lws_spa_create(r->wsi, param_names, 1, 1024, on_part, r);
	if (!u->spa) {
		resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", "file", "malformed multipart body");
		return -1;
	}
	r->on_body = upload_body;
	r->on_body_done = done;
	return 0;
}

static void upload_body(struct req *r, const void *in, size_t len)
{
	struct upload *u = r->upload;
	if (!u->rc && lws_spa_process(u->spa, in, (int)len))
		u->rc = FE_EINVAL;
}

static void upload_free(struct req *r)
{
	struct upload *u = r->upload;
	if (!u)
		return;
	if (u->spa)
		lws_spa_destroy(u->spa);
	if (u->w)
		r->app->blobs.ops->abort(r->app->blobs.impl, u->w);
	free(u);
	r->upload = NULL;
}

int upload_finish(struct req *r, struct upload_result *out)
{
	struct upload *u = r->upload;
	struct blobs *b = &r->app->blobs;
	if (!u->rc && lws_spa_finalize(u->spa))
		u->rc = FE_EINVAL;
	if (!u->rc && (!u->w || !u->done))
		u->rc = FE_EINVAL;
	if (u->rc) {
		if (u->rc == FE_ETOOBIG)
			resp_fail(r, FE_ETOOBIG, "PAYLOAD_TOO_LARGE", "file",
			          "the file is larger than the upload limit");
		else if (u->rc == FE_ENOSPC)
			resp_fail(r, FE_ENOSPC, "DISK_FULL", NULL, "the disk is full");
		else if (u->rc == FE_EINVAL)
			resp_fail(r, FE_EINVAL, "VALIDATION_ERROR", "file",
			          "send exactly one file in the field 'file'");
		else
			resp_fail(r, u->rc, NULL, NULL, "could not store the file");
		return -1;
	}
	int rc = b->ops->commit(b->impl, u->w, out->sha256, &out->size);
	u->w = NULL;
	if (rc) {
		resp_fail(r, rc, rc == FE_ENOSPC ? "DISK_FULL" : NULL, NULL, "could not store the file");
		return -1;
	}
	out->head = u->head;
	out->headlen = u->headlen;
	out->filename = u->filename;
	return 0;
}
