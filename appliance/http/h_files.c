/* http/h_files: upload (multipart, streamed to the blob store) and download
 * (rights checked, type from sniffing, ETag, Range). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/file.h"
#include "http/handlers.h"
#include "http/jsonio.h"
#include "http/range.h"

/* The upload's body is complete (upload_start's done). */
static void file_uploaded(struct req *r)
{
	struct fe_err e = {0};
	struct upload_result u;
	struct file_rec f;
	if (upload_finish(r, &u))
		return;
	if (file_register(r->app, &r->who, u.sha256, u.size, u.head, u.headlen, u.filename, &f, &e))
		resp_err(r, &e);
	else
		resp_ok(r, 200,
		        json_file(&f)); /* 200, as the original answers (docs/API.md, Compatibility) */
}

void h_file_upload(struct req *r)
{
	upload_start(r, file_uploaded); /* answers itself when it refuses */
}

/* Answers an opened file: ETag, If-None-Match, Range; attachment forces
 * Content-Disposition: attachment (else inline for raster images). */
static void send_file(struct req *r, const struct file_rec *fr, int fd, int64_t size, int attachment)
{
	struct file_rec f = *fr;
	char etag[80], disp[400], inm[160], range[96], cr[96];
	snprintf(etag, sizeof etag, "\"%s\"", f.sha256);
	snprintf(disp, sizeof disp, "%s; filename=\"%s\"",
	         file_inline(&f) && !attachment ? "inline" : "attachment", f.filename);
	resp_header(r, "etag", etag);
	resp_header(r, "cache-control", "private, max-age=31536000, immutable");
	resp_header(r, "content-disposition", disp);
	resp_header(r, "accept-ranges", "bytes");
	if (!req_header(r, "if-none-match:", inm, sizeof inm) && strstr(inm, etag)) {
		close(fd);
		resp_static(r, 304, f.mime_type, NULL, 0);
		return;
	}
	int64_t off = 0, len = size;
	int rg = req_header(r, "range:", range, sizeof range) ? 0 : range_parse(range, size, &off, &len);
	if (rg < 0) {
		close(fd);
		snprintf(cr, sizeof cr, "bytes */%lld", (long long)size);
		resp_header(r, "content-range", cr);
		resp_fail(r, FE_ERANGE, NULL, NULL, "the range is outside the file");
		return;
	}
	if (rg > 0) {
		snprintf(cr, sizeof cr, "bytes %lld-%lld/%lld", (long long)off, (long long)(off + len - 1),
		         (long long)size);
		resp_header(r, "content-range", cr);
	}
	resp_file(r, rg > 0 ? 206 : 200, f.mime_type, fd, off, len);
}

void h_file_get(struct req *r)
{
	struct fe_err e = {0};
	struct file_rec f;
	int fd;
	int64_t size;
	if (file_open(r->app, &r->who, req_cap(r, "name"), &f, &fd, &size, &e))
		resp_err(r, &e);
	else
		send_file(r, &f, fd, size, 0);
}

void h_file_download(struct req *r)
{
	struct fe_err e = {0};
	struct file_rec f;
	int fd;
	int64_t size;
	if (file_open_download(r->app, &r->who, req_cap(r, "name"), &f, &fd, &size, &e))
		resp_err(r, &e);
	else
		send_file(r, &f, fd, size, 1);
}
