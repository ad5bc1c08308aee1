/* adapters/backup: see backup.h. */
#include "adapters/backup.h"
#include "adapters/sqlite_store.h"
#include "lib/log.h"
#include "lib/progress.h"
#include "lib/tar.h"
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef FECHATTER_VERSION
#define FECHATTER_VERSION "0.1.0"
#endif
#define FORMAT "fechatter-backup"
#define FORMAT_VERSION 1
#define MANIFEST_MAX (1 << 20)
#define KEY_NAME "jwt_ed25519.key"
#define KEY_BYTES 64

/* SIGINT/SIGTERM during a backup or restore: stop at the next member and
 * clean up, rather than leave a half-written file. */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_stop(struct sigaction old[2])
{
	struct sigaction sa = {0};
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	stop_requested = 0;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
}

static void release_stop(const struct sigaction old[2])
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
}

static int is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static int exists(const char *path)
{
	struct stat sb;
	return !lstat(path, &sb);
}

static void fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static uid_t owner_uid;
static gid_t owner_gid;

static int chown_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return lchown(path, owner_uid, owner_gid);
}

/* Run as root, gives path (recursively) to the owner of the folder dir, so
 * that a service user can open what root restored. */
static void give_to_owner(const char *path, const char *dir)
{
	struct stat sb;
	if (geteuid() != 0 || stat(dir, &sb) || (sb.st_uid == 0 && sb.st_gid == 0))
		return;
	owner_uid = sb.st_uid;
	owner_gid = sb.st_gid;
	if (nftw(path, chown_one, 16, FTW_PHYS))
		log_warn("backup: cannot give %s to the owner of %s: %s", path, dir, strerror(errno));
}

/* rm -rf path (never follows links). */
static int rm_tree(const char *path)
{
	if (!exists(path))
		return 0;
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* mkdir -p of the folders above path/name (name relative, '/'-separated). */
static int make_parents(const char *root, const char *name)
{
	char p[1024];
	int n = snprintf(p, sizeof p, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= sizeof p)
		return -1;
	for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void hex_of(crypto_hash_sha256_state *h, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(h, d);
	sodium_bin2hex(out, 65, d, sizeof d);
}

/* sha256 of the file at path into hex; *size gets its length. Returns 0, or
 * -1 (errno). */
static int hash_file(const char *path, char hex[65], int64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char buf[65536];
	ssize_t n;
	*size = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0) {
			crypto_hash_sha256_update(&h, (unsigned char *)buf, (size_t)n);
			*size += n;
		}
	}
	int e = errno;
	close(fd);
	if (n < 0) {
		errno = e;
		return -1;
	}
	hex_of(&h, hex);
	return 0;
}

/* ---------------------------------------------------------------- backup */

struct writer {
	struct tar_writer tar;
	const char *data;
	time_t now;
	cJSON *members;
	struct progress p;
	int64_t files, missing, damaged, file_bytes, done;
	int failed; /* BACKUP_EFAIL after an I/O error */
	char err[512];
};

/* Adds the file at path as member name; its sha256 and size go into the
 * manifest's members (list) or, for files/, into the totals. Returns 0,
 * -1 on a write error (w->failed set), 1 when the source is missing or
 * changed while read (expect: the sha256 it must have, or NULL). */
static int add_member(struct writer *w, const char *path, const char *name, const char *expect, cJSON *list)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (tar_add(&w->tar, name, sb.st_size, 0, 0600, w->now)) {
		snprintf(w->err, sizeof w->err, "cannot write the archive: %s", strerror(errno));
		close(fd);
		return w->failed = -1;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char buf[65536];
	int64_t left = sb.st_size;
	while (left > 0) {
		ssize_t n = read(fd, buf, left < (int64_t)sizeof buf ? (size_t)left : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) { /* shrank or unreadable: the archive cannot be finished */
			snprintf(w->err, sizeof w->err, "cannot read %s: %s", path,
			         n < 0 ? strerror(errno) : "file shrank");
			close(fd);
			return w->failed = -1;
		}
		crypto_hash_sha256_update(&h, (unsigned char *)buf, (size_t)n);
		if (tar_write(&w->tar, buf, (size_t)n)) {
			snprintf(w->err, sizeof w->err, "cannot write the archive: %s", strerror(errno));
			close(fd);
			return w->failed = -1;
		}
		left -= n;
	}
	close(fd);
	char hex[65];
	hex_of(&h, hex);
	if (expect && strcmp(hex, expect)) {
		snprintf(w->err, sizeof w->err, "%s changed while it was copied (sha256 %s)", path, hex);
		return w->failed = -1;
	}
	if (list) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", name);
		cJSON_AddNumberToObject(m, "size", (double)sb.st_size);
		cJSON_AddStringToObject(m, "sha256", hex);
		cJSON_AddItemToArray(list, m);
	} else {
		w->file_bytes += sb.st_size;
	}
	return 0;
}

/* For each file the database copy references: hashed first (a file whose
 * bytes no longer match its name is left out, with a warning, so that the
 * archive restores), then copied. */
static void add_blob(const char *sha, void *arg)
{
	struct writer *w = arg;
	if (w->failed || stop_requested)
		return;
	progress_update(&w->p, (uint64_t)++w->done);
	if (!is_hex(sha, 64)) {
		log_warn("backup: the database names a file with a malformed hash, left out: %.80s", sha);
		w->missing++;
		return;
	}
	char path[1024], name[128], hex[65];
	int64_t size;
	snprintf(path, sizeof path, "%s/files/%.2s/%s", w->data, sha, sha);
	snprintf(name, sizeof name, "files/%.2s/%s", sha, sha);
	if (hash_file(path, hex, &size)) {
		log_warn("backup: file %s is referenced by the database but missing (%s): left out", sha,
		         strerror(errno));
		w->missing++;
		return;
	}
	if (strcmp(hex, sha)) {
		log_warn(
		    "backup: file %s does not match its hash (sha256 %s): left out; run `fechatter check`",
		    sha, hex);
		w->damaged++;
		return;
	}
	int r = add_member(w, path, name, sha, NULL);
	if (r == 1) {
		log_warn("backup: file %s vanished while copied: left out", sha);
		w->missing++;
	} else if (r == 0)
		w->files++;
}

int backup_write(const char *data, const char *out, char *err, size_t errlen)
{
	char db[600], snap[600], tmp[600], path[700];
	struct stat sb;
	struct sigaction old[2];
	int rc = BACKUP_EFAIL, fd = -1;
	struct writer w = {0};
	cJSON *manifest = NULL;
	char *text = NULL;
	snprintf(db, sizeof db, "%s/fechatter.db", data);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", out) >= (int)sizeof tmp ||
	    snprintf(snap, sizeof snap, "%s.db.tmp", out) >= (int)sizeof snap) {
		snprintf(err, errlen, "the path %s is too long", out);
		return BACKUP_EUSAGE;
	}
	if (stat(db, &sb) || !S_ISREG(sb.st_mode) || sb.st_size == 0) {
		snprintf(err, errlen, "no database to back up at %s", db);
		return BACKUP_EUSAGE;
	}
	if (!stat(out, &sb) && S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "%s is a folder: give the archive's file name", out);
		return BACKUP_EUSAGE;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(e));
		return e == ENOSPC || e == EDQUOT || e == EIO ? BACKUP_EFAIL : BACKUP_EUSAGE;
	}
	catch_stop(old);
	int64_t t0 = (int64_t)time(NULL);
	/* 1. the database as of now */
	if (sqlite_store_backup(db, snap, err, errlen))
		goto out;
	struct store_summary sum;
	if (sqlite_store_summary(snap, &sum, err, errlen))
		goto out;
	w.data = data;
	w.now = time(NULL);
	w.members = cJSON_CreateArray();
	tar_writer_init(&w.tar, fd);
	if (add_member(&w, snap, "fechatter.db", NULL, w.members)) {
		snprintf(err, errlen, "%s", w.err[0] ? w.err : "cannot read the database copy");
		goto out;
	}
	snprintf(path, sizeof path, "%s/%s", data, KEY_NAME);
	if (exists(path) && add_member(&w, path, KEY_NAME, NULL, w.members)) {
		snprintf(err, errlen, "%s", w.err[0] ? w.err : "cannot read the signing key");
		goto out;
	}
	/* 2. every file that copy references (files only ever get added) */
	progress_begin(&w.p, "backup: files", (uint64_t)sum.files, "files");
	if (sqlite_store_file_shas(snap, add_blob, &w, err, errlen))
		goto out;
	progress_end(&w.p);
	if (w.failed) {
		snprintf(err, errlen, "%s", w.err);
		goto out;
	}
	if (stop_requested) {
		snprintf(err, errlen, "interrupted");
		goto out;
	}
	/* 3. the manifest, last: it carries the hashes of what came before */
	manifest = cJSON_CreateObject();
	cJSON_AddStringToObject(manifest, "format", FORMAT);
	cJSON_AddNumberToObject(manifest, "format_version", FORMAT_VERSION);
	cJSON_AddStringToObject(manifest, "fechatter_version", FECHATTER_VERSION);
	cJSON_AddNumberToObject(manifest, "schema_version", sum.schema_version);
	char when[32];
	time_t now = w.now;
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	cJSON_AddStringToObject(manifest, "created_at", when);
	cJSON *counts = cJSON_AddObjectToObject(manifest, "counts");
	cJSON_AddNumberToObject(counts, "workspaces", (double)sum.workspaces);
	cJSON_AddNumberToObject(counts, "users", (double)sum.users);
	cJSON_AddNumberToObject(counts, "chats", (double)sum.chats);
	cJSON_AddNumberToObject(counts, "messages", (double)sum.messages);
	cJSON *files = cJSON_AddObjectToObject(manifest, "files");
	cJSON_AddNumberToObject(files, "count", (double)w.files);
	cJSON_AddNumberToObject(files, "bytes", (double)w.file_bytes);
	cJSON_AddNumberToObject(files, "missing", (double)w.missing);
	cJSON_AddNumberToObject(files, "damaged", (double)w.damaged);
	cJSON_AddStringToObject(files, "sha256", "each files/ member's name is its sha256");
	cJSON_AddItemToObject(manifest, "members", w.members);
	w.members = NULL;
	text = cJSON_Print(manifest);
	if (!text)
		abort();
	size_t tlen = strlen(text);
	if (tar_add(&w.tar, "manifest.json", (int64_t)tlen, 0, 0600, w.now) ||
	    tar_write(&w.tar, text, tlen) || tar_finish(&w.tar) || fsync(fd)) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, out)) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, out, strerror(errno));
		goto out;
	}
	char dir[600];
	snprintf(dir, sizeof dir, "%s", out);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	fsync_path(slash ? dir : ".");
	printf("backup: wrote %s (%lld bytes in %llds): schema %d, %lld users, %lld chats, %lld messages, "
	       "%lld files (%lld bytes)\n",
	       out, (long long)w.tar.written, (long long)((int64_t)time(NULL) - t0), sum.schema_version,
	       (long long)sum.users, (long long)sum.chats, (long long)sum.messages, (long long)w.files,
	       (long long)w.file_bytes);
	if (w.missing || w.damaged)
		printf("backup: warning: %lld referenced files missing and %lld damaged were left out (see "
		       "`fechatter check`)\n",
		       (long long)w.missing, (long long)w.damaged);
	fflush(stdout);
	rc = BACKUP_OK;
out:
	release_stop(old);
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	unlink(snap);
	snprintf(path, sizeof path, "%s-wal", snap);
	unlink(path);
	snprintf(path, sizeof path, "%s-shm", snap);
	unlink(path);
	cJSON_Delete(w.members);
	cJSON_Delete(manifest);
	free(text);
	return rc;
}

/* ---------------------------------------------------------------- restore */

struct member_seen {
	char sha[65];
	int64_t size;
	int seen;
};

struct reader {
	const char *stage;
	struct member_seen db, key;
	int64_t files;
	char *manifest;
	int64_t manifest_len;
	struct progress p;
	int64_t read_kib;
};

/* Extracts the current member to stage/name (mode 0600), hashing it.
 * Returns BACKUP_OK, BACKUP_EUSAGE (cut archive) or BACKUP_EFAIL (write). */
static int extract(struct tar_reader *tr, struct reader *rd, const char *name, int64_t size, char hex[65],
                   char *err, size_t errlen)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", rd->stage, name);
	if (make_parents(rd->stage, name)) {
		snprintf(err, errlen, "cannot create folders for %s: %s", path, strerror(errno));
		return BACKUP_EFAIL;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return BACKUP_EFAIL;
	}
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	char buf[65536];
	int64_t n, got = 0;
	while ((n = tar_read(tr, buf, sizeof buf, err, errlen)) > 0) {
		crypto_hash_sha256_update(&h, (unsigned char *)buf, (size_t)n);
		if (write_all(fd, buf, (size_t)n)) {
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			return BACKUP_EFAIL;
		}
		got += n;
		progress_update(&rd->p, (uint64_t)(tr->offset >> 10));
	}
	if (n < 0) {
		close(fd);
		return BACKUP_EUSAGE;
	}
	if (fsync(fd) || close(fd)) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return BACKUP_EFAIL;
	}
	(void)size;
	hex_of(&h, hex);
	return BACKUP_OK;
}

/* Reads every member into rd->stage, checking names and file hashes. */
static int read_archive(int fd, struct reader *rd, char *err, size_t errlen)
{
	struct tar_reader tr;
	struct tar_entry e;
	int r;
	tar_reader_init(&tr, fd);
	while ((r = tar_next(&tr, &e, err, errlen)) == 1) {
		char hex[65];
		if (stop_requested) {
			snprintf(err, errlen, "interrupted");
			return BACKUP_EFAIL;
		}
		if (rd->manifest) {
			snprintf(err, errlen, "bad archive: member %s after manifest.json", e.name);
			return BACKUP_EUSAGE;
		}
		if (e.dir) { /* only the folders of files/ */
			const char *n = e.name;
			if (!strcmp(n, "files/") || (!strncmp(n, "files/", 6) && strlen(n) == 9 &&
			                             n[8] == '/' && strspn(n + 6, "0123456789abcdef") == 2))
				continue;
			snprintf(err, errlen, "bad archive: unexpected folder %s", n);
			return BACKUP_EUSAGE;
		}
		if (!strcmp(e.name, "manifest.json")) {
			if (e.size > MANIFEST_MAX) {
				snprintf(err, errlen, "bad archive: manifest.json is too large");
				return BACKUP_EUSAGE;
			}
			rd->manifest = calloc(1, (size_t)e.size + 1);
			if (!rd->manifest)
				abort();
			if (tar_read(&tr, rd->manifest, (size_t)e.size, err, errlen) != e.size) {
				if (e.size)
					return BACKUP_EUSAGE;
			}
			rd->manifest_len = e.size;
			continue;
		}
		struct member_seen *m = !strcmp(e.name, "fechatter.db") ? &rd->db
		                        : !strcmp(e.name, KEY_NAME)     ? &rd->key
		                                                        : NULL;
		const char *sha = e.name + 9;
		int blob = !m && !strncmp(e.name, "files/", 6) && e.name[8] == '/' && is_hex(sha, 64) &&
		           !strncmp(e.name + 6, sha, 2);
		if (!m && !blob) {
			snprintf(err, errlen, "bad archive: unexpected member %s (refusing to extract it)",
			         e.name);
			return BACKUP_EUSAGE;
		}
		if (m && m->seen) {
			snprintf(err, errlen, "bad archive: %s appears twice", e.name);
			return BACKUP_EUSAGE;
		}
		if (m == &rd->key && e.size != KEY_BYTES) {
			snprintf(err, errlen, "bad archive: %s is %lld bytes, not %d", KEY_NAME,
			         (long long)e.size, KEY_BYTES);
			return BACKUP_EUSAGE;
		}
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", rd->stage, e.name);
		if (blob && exists(path)) {
			snprintf(err, errlen, "bad archive: %s appears twice", e.name);
			return BACKUP_EUSAGE;
		}
		int x = extract(&tr, rd, e.name, e.size, hex, err, errlen);
		if (x)
			return x;
		if (blob) {
			if (strcmp(hex, sha)) {
				snprintf(err, errlen, "bad archive: %s does not match its hash (sha256 %s)",
				         e.name, hex);
				return BACKUP_EUSAGE;
			}
			rd->files++;
		} else {
			m->seen = 1;
			m->size = e.size;
			memcpy(m->sha, hex, sizeof m->sha);
		}
	}
	if (r < 0) {
		char why[400];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "bad archive: %s", why);
		return BACKUP_EUSAGE;
	}
	if (!rd->manifest) {
		snprintf(err, errlen, "bad archive: no manifest.json (not a fechatter backup, or cut short)");
		return BACKUP_EUSAGE;
	}
	if (!rd->db.seen) {
		snprintf(err, errlen, "bad archive: no fechatter.db");
		return BACKUP_EUSAGE;
	}
	return BACKUP_OK;
}

/* The manifest against what was extracted. */
static int verify_manifest(struct reader *rd, int64_t *missing_ok, char *err, size_t errlen)
{
	int rc = BACKUP_EUSAGE;
	cJSON *m = cJSON_ParseWithLength(rd->manifest, (size_t)rd->manifest_len);
	cJSON *fmt = cJSON_GetObjectItemCaseSensitive(m, "format");
	cJSON *fv = cJSON_GetObjectItemCaseSensitive(m, "format_version");
	cJSON *sv = cJSON_GetObjectItemCaseSensitive(m, "schema_version");
	cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files");
	cJSON *members = cJSON_GetObjectItemCaseSensitive(m, "members");
	cJSON *count = cJSON_GetObjectItemCaseSensitive(files, "count");
	cJSON *missing = cJSON_GetObjectItemCaseSensitive(files, "missing");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, FORMAT) || !cJSON_IsNumber(fv) ||
	    !cJSON_IsNumber(sv) || !cJSON_IsNumber(count) || !cJSON_IsArray(members)) {
		snprintf(err, errlen, "bad archive: manifest.json is not a fechatter backup manifest");
		goto out;
	}
	if (fv->valueint > FORMAT_VERSION) {
		snprintf(
		    err, errlen,
		    "the archive has format version %d; this fechatter reads up to %d: use a newer binary",
		    fv->valueint, FORMAT_VERSION);
		goto out;
	}
	if (sv->valueint > sqlite_store_schema_version()) {
		snprintf(err, errlen,
		         "the archive's database has schema version %d but this binary knows only up to %d: "
		         "use a newer fechatter binary",
		         sv->valueint, sqlite_store_schema_version());
		goto out;
	}
	if ((int64_t)count->valuedouble != rd->files) {
		snprintf(err, errlen, "bad archive: the manifest lists %lld files, the archive holds %lld",
		         (long long)count->valuedouble, (long long)rd->files);
		goto out;
	}
	*missing_ok = cJSON_IsNumber(missing) ? (int64_t)missing->valuedouble : 0;
	int listed_key = 0, listed_db = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, members)
	{
		cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
		cJSON *sha = cJSON_GetObjectItemCaseSensitive(it, "sha256");
		if (!cJSON_IsString(name) || !cJSON_IsNumber(size) || !cJSON_IsString(sha)) {
			snprintf(err, errlen, "bad archive: a malformed member in manifest.json");
			goto out;
		}
		struct member_seen *s = !strcmp(name->valuestring, "fechatter.db") ? &rd->db
		                        : !strcmp(name->valuestring, KEY_NAME)     ? &rd->key
		                                                                   : NULL;
		if (!s || !s->seen) {
			snprintf(err, errlen,
			         "bad archive: the manifest lists %.100s, which the archive lacks",
			         name->valuestring);
			goto out;
		}
		if ((int64_t)size->valuedouble != s->size || strcmp(sha->valuestring, s->sha)) {
			snprintf(err, errlen,
			         "bad archive: %s does not match the manifest (sha256 %s, manifest %.64s)",
			         name->valuestring, s->sha, sha->valuestring);
			goto out;
		}
		listed_db |= s == &rd->db;
		listed_key |= s == &rd->key;
	}
	if (!listed_db || listed_key != rd->key.seen) {
		snprintf(err, errlen, "bad archive: the manifest does not list every member");
		goto out;
	}
	rc = BACKUP_OK;
out:
	cJSON_Delete(m);
	return rc;
}

struct presence {
	const char *stage;
	int64_t missing;
	char first[65];
};

static void count_missing(const char *sha, void *arg)
{
	struct presence *p = arg;
	char path[1024];
	snprintf(path, sizeof path, "%s/files/%.2s/%s", p->stage, sha, sha);
	if (!is_hex(sha, 64) || !exists(path)) {
		if (!p->missing++)
			snprintf(p->first, sizeof p->first, "%.64s", sha);
	}
}

/* Moves dir/name into aside/ (made when needed) when it exists. */
static int move_aside(const char *dir, const char *name, const char *aside)
{
	char from[1024], to[1100];
	snprintf(from, sizeof from, "%s/%s", dir, name);
	if (!exists(from))
		return 0;
	if (mkdir(aside, 0700) && errno != EEXIST)
		return -1;
	snprintf(to, sizeof to, "%s/%s", aside, name);
	return rename(from, to);
}

static const char *const swapped[] = {"files", KEY_NAME, "fechatter.db"}; /* the database last */

int backup_resume(const char *data)
{
	char swap[600], stage[600], asidef[700], aside[700] = "";
	snprintf(stage, sizeof stage, "%s/restore.tmp", data);
	snprintf(swap, sizeof swap, "%s/restore.swap", data);
	if (exists(stage) && rm_tree(stage))
		log_warn("backup: cannot remove the leftovers of a stopped restore %s: %s", stage,
		         strerror(errno));
	if (!exists(swap))
		return 0;
	/* the name of the folder the old data goes to, chosen before the swap */
	snprintf(asidef, sizeof asidef, "%s/.aside", swap);
	FILE *f = fopen(asidef, "r");
	if (!f || !fgets(aside, sizeof aside, f)) {
		if (f)
			fclose(f);
		log_err("backup: %s is damaged (no .aside): move its contents into %s by hand", swap, data);
		return -1;
	}
	fclose(f);
	aside[strcspn(aside, "\n")] = 0;
	char old_aside[800];
	snprintf(old_aside, sizeof old_aside, "%s/%s", data, aside);
	for (size_t i = 0; i < sizeof swapped / sizeof swapped[0]; i++) {
		char from[800], to[800];
		snprintf(from, sizeof from, "%s/%s", swap, swapped[i]);
		if (!exists(from))
			continue; /* not in the archive, or already in place */
		if (!strcmp(swapped[i], "fechatter.db") && (move_aside(data, "fechatter.db-wal", old_aside) ||
		                                            move_aside(data, "fechatter.db-shm", old_aside)))
			goto fail;
		if (move_aside(data, swapped[i], old_aside))
			goto fail;
		snprintf(to, sizeof to, "%s/%s", data, swapped[i]);
		give_to_owner(from, data);
		if (rename(from, to))
			goto fail;
	}
	fsync_path(data);
	if (rm_tree(swap))
		log_warn("backup: cannot remove %s: %s", swap, strerror(errno));
	return 0;
fail:
	log_err("backup: cannot finish the restore in %s: %s (the restored data is in %s, the old in %s)",
	        data, strerror(errno), swap, old_aside);
	return -1;
}

int backup_restore(const char *in, const char *data, int force, char *err, size_t errlen)
{
	char stage[600], swap[600], path[800];
	struct sigaction old[2];
	struct reader rd = {0};
	struct stat sb;
	int rc = BACKUP_EFAIL, fd = open(in, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "cannot read the archive %s: %s", in,
		         fd < 0 ? strerror(errno) : "not a file");
		if (fd >= 0)
			close(fd);
		return BACKUP_EUSAGE;
	}
	int holds = 0;
	for (size_t i = 0; i < sizeof swapped / sizeof swapped[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", data, swapped[i]);
		holds |= exists(path);
	}
	if (holds && !force) {
		snprintf(err, errlen,
		         "the data folder %s already holds data (a database, files/ or the signing key): "
		         "refusing to replace it; restore into an empty folder, or give --force to move "
		         "the current data aside",
		         data);
		close(fd);
		return BACKUP_EUSAGE;
	}
	catch_stop(old);
	snprintf(stage, sizeof stage, "%s/restore.tmp", data);
	snprintf(swap, sizeof swap, "%s/restore.swap", data);
	rd.stage = stage;
	if (rm_tree(stage) || mkdir(stage, 0700)) {
		snprintf(err, errlen, "cannot create %s: %s", stage, strerror(errno));
		goto out;
	}
	progress_begin(&rd.p, "restore: reading", (uint64_t)(sb.st_size >> 10), "KiB");
	if ((rc = read_archive(fd, &rd, err, errlen)))
		goto out;
	progress_update(&rd.p, (uint64_t)(sb.st_size >> 10));
	progress_end(&rd.p);
	int64_t missing_ok = 0;
	if ((rc = verify_manifest(&rd, &missing_ok, err, errlen)))
		goto out;
	char why[400];
	snprintf(path, sizeof path, "%s/fechatter.db", stage);
	if (sqlite_store_integrity(path, why, sizeof why)) {
		snprintf(err, errlen, "bad archive: its database is damaged: %s", why);
		rc = BACKUP_EUSAGE;
		goto out;
	}
	struct presence pr = {stage, 0, ""};
	if (sqlite_store_file_shas(path, count_missing, &pr, why, sizeof why)) {
		snprintf(err, errlen, "bad archive: %s", why);
		rc = BACKUP_EUSAGE;
		goto out;
	}
	if (pr.missing > missing_ok) {
		snprintf(err, errlen,
		         "bad archive: %lld files the database references are not in it (first %s)",
		         (long long)pr.missing, pr.first);
		rc = BACKUP_EUSAGE;
		goto out;
	}
	if (stop_requested) {
		snprintf(err, errlen, "interrupted");
		rc = BACKUP_EFAIL;
		goto out;
	}
	/* verified: swap in. The rename to restore.swap marks the point from
	 * which backup_resume completes the swap if this process stops. */
	char aside[64] = "", asidef[700];
	time_t now = time(NULL);
	struct tm tm;
	strftime(aside, sizeof aside, "before-restore-%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
	snprintf(asidef, sizeof asidef, "%s/.aside", stage);
	FILE *f = fopen(asidef, "w");
	if (!f || fprintf(f, "%s\n", aside) < 0 || fflush(f) || fsync(fileno(f))) {
		snprintf(err, errlen, "cannot write %s: %s", asidef, strerror(errno));
		if (f)
			fclose(f);
		rc = BACKUP_EFAIL;
		goto out;
	}
	fclose(f);
	snprintf(path, sizeof path, "%s/manifest.json", stage);
	f = fopen(path, "w");
	if (f) { /* kept beside the restored data until the swap ends */
		fwrite(rd.manifest, 1, (size_t)rd.manifest_len, f);
		fclose(f);
	}
	fsync_path(stage);
	if (rm_tree(swap) || rename(stage, swap)) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", stage, swap, strerror(errno));
		rc = BACKUP_EFAIL;
		goto out;
	}
	fsync_path(data);
	if (backup_resume(data)) {
		snprintf(err, errlen, "the restore could not be finished (see above)");
		rc = BACKUP_EFAIL;
		goto out;
	}
	printf("restore: %s restored into %s (%lld files)\n", in, data, (long long)rd.files);
	if (holds)
		printf("restore: previous data kept in %s/%s\n", data, aside);
	fflush(stdout);
	rc = BACKUP_OK;
out:
	release_stop(old);
	close(fd);
	if (rc)
		rm_tree(stage);
	free(rd.manifest);
	return rc;
}

/* ---------------------------------------------------------------- check */

struct shas {
	char (*v)[65];
	size_t n, cap;
};

static void collect(const char *sha, void *arg)
{
	struct shas *s = arg;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		if (!s->v)
			abort();
	}
	snprintf(s->v[s->n++], 65, "%.64s", sha);
}

static int cmp_sha(const void *a, const void *b)
{
	return strcmp(a, b);
}

int backup_check_files(const char *data, const char *db, FILE *out)
{
	struct shas ref = {0}, have = {0};
	char err[512], dir[700], path[1024];
	int ok = 1;
	if (sqlite_store_file_shas(db, collect, &ref, err, sizeof err)) {
		fprintf(out, "files: error: %s\n", err);
		return -1;
	}
	/* what is on disk: files/xx/<sha> */
	snprintf(dir, sizeof dir, "%s/files", data);
	DIR *top = opendir(dir);
	struct dirent *e;
	int64_t strange = 0;
	while (top && (e = readdir(top))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "tmp"))
			continue;
		char sub[1024];
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		DIR *d = is_hex(e->d_name, 2) ? opendir(sub) : NULL;
		if (!d) {
			strange++;
			continue;
		}
		struct dirent *f;
		while ((f = readdir(d))) {
			if (f->d_name[0] == '.')
				continue;
			if (is_hex(f->d_name, 64) && !strncmp(f->d_name, e->d_name, 2))
				collect(f->d_name, &have);
			else
				strange++;
		}
		closedir(d);
	}
	if (top)
		closedir(top);
	qsort(have.v, have.n, sizeof *have.v, cmp_sha);
	int64_t bytes = 0, missing = 0, bad = 0;
	for (size_t i = 0; i < ref.n; i++) {
		struct stat sb;
		snprintf(path, sizeof path, "%s/%.2s/%s", dir, ref.v[i], ref.v[i]);
		if (!stat(path, &sb))
			bytes += sb.st_size;
	}
	struct progress p;
	progress_begin(&p, "check: files", (uint64_t)(bytes >> 10), "KiB");
	int64_t done = 0;
	for (size_t i = 0; i < ref.n; i++) {
		char hex[65];
		int64_t size;
		snprintf(path, sizeof path, "%s/%.2s/%s", dir, ref.v[i], ref.v[i]);
		if (!is_hex(ref.v[i], 64) || hash_file(path, hex, &size)) {
			fprintf(out, "file %s: missing (referenced by the database)\n", ref.v[i]);
			missing++;
			continue;
		}
		done += size;
		progress_update(&p, (uint64_t)(done >> 10));
		if (strcmp(hex, ref.v[i])) {
			fprintf(out, "file %s: content does not match its name (sha256 %s)\n", ref.v[i], hex);
			bad++;
		}
	}
	progress_end(&p);
	int64_t orphans = 0;
	for (size_t i = 0; i < have.n; i++)
		if (!bsearch(have.v[i], ref.v, ref.n, sizeof *ref.v, cmp_sha))
			orphans++;
	if (missing || bad) {
		fprintf(out,
		        "files: damaged: %lld missing, %lld not matching their hash, of %zu referenced\n",
		        (long long)missing, (long long)bad, ref.n);
		ok = 0;
	} else {
		fprintf(out, "files: ok (%zu referenced, %lld bytes hashed)\n", ref.n, (long long)done);
	}
	if (orphans || strange)
		fprintf(out,
		        "files: info: %lld files not referenced by the database (uploads never attached; "
		        "harmless), %lld unexpected entries in %s\n",
		        (long long)orphans, (long long)strange, dir);
	free(ref.v);
	free(have.v);
	return ok ? 0 : -1;
}
