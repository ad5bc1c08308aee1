/* core/file: uploaded files: registration after the bytes are stored (type
 * sniffed from the content, deduplicated by SHA-256 per uploader), the
 * file-read rule (the one place that decides who may read a file, built on
 * narrow store questions), what may be attached to a message and what may
 * be a profile picture. The route's url of a file is spelled here too. */
#ifndef FE_FILE_H
#define FE_FILE_H
#include <stddef.h>
#include "core/app.h"
#include "lib/err.h"
#include "ports/model.h"

/* Room for a file url, with its terminating NUL. */
#define FILE_URL_MAX 96
/* What every file url starts with; the rest is the file's name,
 * "<sha256>.<ext>". file_url writes urls, file_url_parse reads them: no
 * other code builds or takes one apart. */
#define FILE_URL_PREFIX "/api/files/"

/* A file named by a url or by a route's {name}: lower-case hex, one dot, an
 * extension of 1..7 characters. */
struct file_name {
	char sha256[65]; /* the SHA-256 in hex; "" for a short name */
	char suffix[59]; /* a short name: the SHA-256 without its first 6 hex characters */
	char ext[8];
};

/* Why a user may read a file; a smaller value is the stronger reason. */
enum file_grant {
	FILE_NO_ACCESS = 0,
	FILE_UPLOADER, /* the user uploaded it */
	FILE_IN_CHAT,  /* a live message of one of the user's chats references it */
	FILE_AVATAR,   /* it is the picture of a user of the user's workspace */
};

/* Callers: the file handlers (http/h_files.c), http/jsonio.c (urls),
 * core/message
 * (attachments) and core/workspace (pictures), on the loop thread, which
 * owns the store; the url and name functions are pure and may run on any
 * thread. p is the authenticated caller, any workspace user: the read and
 * attach rules below are the only limits (borrowed for the call). Errors:
 * 0, or a negative FE_E* code with e filled; "store errors" are what
 * err_store() makes of a failed store call (FE_ENOSPC, FE_ECORRUPT,
 * FE_EUNAVAIL, FE_EINTERNAL). Outputs are the caller's storage. */

/* Writes f's url, "/api/files/<sha256>.<ext>", into out (n >= FILE_URL_MAX). */
void file_url(const struct file_rec *f, char *out, size_t n);

/* 1 when s starts like a file url ("/api/files/"), whatever follows. */
int file_url_like(const char *s);

/* Parses a file url, "/api/files/<sha256>.<ext>" (as file_url writes it),
 * into *out. FE_ENOTFOUND for anything else. */
int file_url_parse(const char *url, struct file_name *out);

/* Parses a route's {name}: "<sha256>.<ext>", or with allow_short also the
 * original's on-disk name, the SHA-256 without its first 6 hex characters
 * then ".<ext>" (out->sha256 "", out->suffix set). FE_ENOTFOUND otherwise. */
int file_name_parse(const char *name, int allow_short, struct file_name *out);

/* The file-read rule: sets *how to the strongest reason user_id may read f
 * (FILE_NO_ACCESS when none). Returns 0, or a store error FE_E*. */
int file_access(struct app *app, int64_t user_id, const struct file_rec *f, enum file_grant *how);

/* Registers a blob already stored under sha256 (size bytes) as uploaded by
 * p, and fills out with the file row: the type sniffed from head (the first
 * headlen bytes; the whole file when headlen == size), filename the client's
 * name (NULL: "file"; cleaned, for Content-Disposition only). The same
 * content uploaded again by p returns the existing row. Who: any workspace
 * user (the upload handler, after the blob is written). Errors: the store's
 * code with "the disk is full" (FE_ENOSPC) or "could not record the file";
 * nothing is written then. All pointers are borrowed. */
int file_register(struct app *app, const struct principal *p, const char *sha256, int64_t size,
                  const unsigned char *head, size_t headlen, const char *filename, struct file_rec *out,
                  struct fe_err *e);

/* Opens "<sha256>.<ext>" for p: *fd (owned: the caller closes it), *f,
 * *size. Who: anyone the read rule (file_access) grants the file.
 * FE_ENOTFOUND (NOT_FOUND) for anything p may not read, a malformed name, a
 * wrong extension or a missing blob (the same answer for all); other store
 * errors as such. name is borrowed. */
int file_open(struct app *app, const struct principal *p, const char *name, struct file_rec *f, int *fd,
              int64_t *size, struct fe_err *e);

/* file_open for the original's download links, /api/files/download/{name}:
 * name is "<sha256>.<ext>", or the original's on-disk name, the hash
 * without its first 6 hex characters then ".<ext>", resolved to the one
 * stored content it names (none or two: FE_ENOTFOUND). Same read rule,
 * same results as file_open. */
int file_open_download(struct app *app, const struct principal *p, const char *name, struct file_rec *f,
                       int *fd, int64_t *size, struct fe_err *e);

/* May p attach file id to a message? Yes when p uploaded it or a message of
 * one of p's chats already carries it (forwarding); seeing it only as
 * someone's profile picture is not enough, so a picture cannot be turned
 * into a lasting share. FE_EINVAL naming field "files" otherwise. */
int file_check_attach(struct app *app, const struct principal *p, int64_t id, struct fe_err *e);

/* The id of the file behind url ("/api/files/<sha256>.<ext>") that p may
 * attach (as file_check_attach); FE_EINVAL naming field "files" otherwise. */
int file_resolve_url(struct app *app, const struct principal *p, const char *url, int64_t *id,
                     struct fe_err *e);

/* The file p may use as profile picture, named by id (url NULL) or by its
 * url: a PNG, JPEG, GIF or WebP image that p uploaded. Fills *f. Otherwise
 * FE_EINVAL with code INVALID_AVATAR naming field avatar_file_id or
 * avatar_url (the same answer for an unknown file and someone else's, so
 * it tells nothing about other people's files). */
int file_avatar(struct app *app, const struct principal *p, int64_t id, const char *url, struct file_rec *f,
                struct fe_err *e);

/* 1 when the file's type may be shown inline (raster images: PNG, JPEG,
 * GIF, WebP), else 0. Pure: any thread. */
int file_inline(const struct file_rec *f);

#endif
