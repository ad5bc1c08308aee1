/* adapters/slack_export: reads a Slack export (zip or folder) into the
 * records of ports/slack_source. One JSON file is in memory at a time: the
 * zip's directory is listed once (names and positions, no contents), and
 * each file is read and parsed when its turn comes, then freed. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <minizip/unzip.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "adapters/slack_export.h"
#include "lib/err.h"
#include "lib/xalloc.h"

#define MAX_FILE_BYTES (256u << 20) /* one JSON file of the export, at most */

struct entry {
	char *name; /* path inside the zip, without the top folder */
	unz64_file_pos pos;
};

struct sx {
	char root[1024];       /* the folder (folder mode) */
	unzFile zip;           /* zip mode, else NULL */
	struct entry *entries; /* zip mode: every file, sorted by name */
	size_t nentries;
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static struct entry *find_entry(struct sx *x, const char *name)
{
	struct entry key = {.name = (char *)name};
	return bsearch(&key, x->entries, x->nentries, sizeof key, cmp_entry);
}

/* Reads the file name of the export into *buf (owned, NUL-terminated).
 * Returns 0, 1 when it does not exist, SLACK_EINPUT when it is too big or
 * the zip is damaged, FE_EUNAVAIL when it cannot be read. */
static int read_file(struct sx *x, const char *name, char **buf, size_t *len, char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	if (!x->zip) {
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", x->root, name);
		FILE *f = fopen(path, "rb");
		if (!f)
			return errno == ENOENT
			           ? 1
			           : fail(err, errlen, FE_EUNAVAIL, "%s: %s", name, strerror(errno));
		struct stat sb;
		if (fstat(fileno(f), &sb) || sb.st_size > (off_t)MAX_FILE_BYTES) {
			fclose(f);
			return fail(err, errlen, SLACK_EINPUT, "%s: larger than %u MiB", name,
			            MAX_FILE_BYTES >> 20);
		}
		char *b = xmalloc((size_t)sb.st_size + 1);
		size_t n = fread(b, 1, (size_t)sb.st_size, f);
		int bad = ferror(f);
		fclose(f);
		if (bad) {
			free(b);
			return fail(err, errlen, FE_EUNAVAIL, "%s: read error", name);
		}
		b[n] = 0;
		*buf = b;
		*len = n;
		return 0;
	}
	struct entry *e = find_entry(x, name);
	if (!e)
		return 1;
	unz_file_info64 info;
	if (unzGoToFilePos64(x->zip, &e->pos) != UNZ_OK ||
	    unzGetCurrentFileInfo64(x->zip, &info, NULL, 0, NULL, 0, NULL, 0) != UNZ_OK ||
	    unzOpenCurrentFile(x->zip) != UNZ_OK)
		return fail(err, errlen, SLACK_EINPUT, "%s: the zip entry cannot be opened (damaged archive)",
		            name);
	if (info.uncompressed_size > MAX_FILE_BYTES) {
		unzCloseCurrentFile(x->zip);
		return fail(err, errlen, SLACK_EINPUT, "%s: larger than %u MiB", name, MAX_FILE_BYTES >> 20);
	}
	size_t want = (size_t)info.uncompressed_size, got = 0;
	char *b = xmalloc(want + 1);
	while (got < want) {
		int n = unzReadCurrentFile(x->zip, b + got, (unsigned)(want - got));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	/* unzCloseCurrentFile checks the CRC once the whole entry was read */
	if (got != want || unzCloseCurrentFile(x->zip) != UNZ_OK) {
		free(b);
		return fail(err, errlen, SLACK_EINPUT, "%s: damaged in the zip (short read or bad CRC)",
		            name);
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

/* Parses the JSON file name: *out owned (cJSON_Delete); NULL and 0 when
 * the file is absent and not required. */
static int parse_file(struct sx *x, const char *name, int required, cJSON **out, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	*out = NULL;
	int rc = read_file(x, name, &buf, &len, err, errlen);
	if (rc == 1)
		return required ? fail(err, errlen, SLACK_EINPUT, "%s: missing from the export", name) : 0;
	if (rc)
		return rc;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (!j)
		rc = fail(err, errlen, SLACK_EINPUT, "%s: not JSON (syntax error near byte %zu)", name,
		          end ? (size_t)(end - buf) : (size_t)0);
	free(buf);
	*out = j;
	return rc;
}

/* Where an error is: "users.json: entry 3" and the like. */
struct at {
	const char *file, *what;
	int index;
	char *err;
	size_t errlen;
};

/* An optional string field: "" when absent or null; SLACK_EINPUT when of
 * another type. */
static int opt_str(const struct at *a, const cJSON *o, const char *key, const char **out)
{
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	*out = "";
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return fail(a->err, a->errlen, SLACK_EINPUT, "%s: %s %d: field \"%s\" must be a string",
		            a->file, a->what, a->index, key);
	*out = v->valuestring;
	return 0;
}

static int req_str(const struct at *a, const cJSON *o, const char *key, const char **out)
{
	int rc = opt_str(a, o, key, out);
	if (!rc && !**out)
		rc = fail(a->err, a->errlen, SLACK_EINPUT, "%s: %s %d: missing string field \"%s\"", a->file,
		          a->what, a->index, key);
	return rc;
}

/* An optional object field: NULL when absent; SLACK_EINPUT when not one. */
static int opt_obj(const struct at *a, const cJSON *o, const char *key, const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return fail(a->err, a->errlen, SLACK_EINPUT, "%s: %s %d: field \"%s\" must be an object",
		            a->file, a->what, a->index, key);
	*out = v;
	return 0;
}

static int opt_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* An optional array of strings into a new array of borrowed pointers
 * (owned: free); SLACK_EINPUT when not an array of strings. */
static int opt_strings(const struct at *a, const cJSON *o, const char *key, const char ***out, size_t *n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *it;
	*out = NULL;
	*n = 0;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsArray(v))
		return fail(a->err, a->errlen, SLACK_EINPUT, "%s: %s %d: field \"%s\" must be an array",
		            a->file, a->what, a->index, key);
	*out = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof **out);
	cJSON_ArrayForEach(it, v)
	{
		if (!cJSON_IsString(it)) {
			free(*out);
			*out = NULL;
			*n = 0;
			return fail(a->err, a->errlen, SLACK_EINPUT,
			            "%s: %s %d: field \"%s\" must hold strings", a->file, a->what, a->index,
			            key);
		}
		(*out)[(*n)++] = it->valuestring;
	}
	return 0;
}

/* A Slack timestamp ("1700000000.000100", or a number) in microseconds;
 * -1 when it is not one. */
static int64_t parse_ts(const char *s)
{
	int64_t sec = 0, us = 0;
	int digits = 0, frac = 0;
	if (!*s)
		return -1;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		sec = sec * 10 + (*s - '0');
	if (!digits || digits > 12)
		return -1;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, frac++)
			if (frac < 6)
				us = us * 10 + (*s - '0');
	if (*s)
		return -1;
	for (int k = frac; k < 6; k++)
		us *= 10;
	return sec * 1000000 + us;
}

/* The root array of a file; SLACK_EINPUT when the root is not one. */
static int want_array(const cJSON *j, const char *file, char *err, size_t errlen)
{
	return cJSON_IsArray(j)
	           ? 0
	           : fail(err, errlen, SLACK_EINPUT, "%s: expected a JSON array at the top", file);
}

static int entry_object(const struct at *a, const cJSON *it)
{
	return cJSON_IsObject(it) ? 0
	                          : fail(a->err, a->errlen, SLACK_EINPUT, "%s: %s %d is not an object",
	                                 a->file, a->what, a->index);
}

/* ---- users ---- */

static int op_users(void *impl, slack_user_cb cb, void *ctx, char *err, size_t errlen)
{
	struct sx *x = impl;
	cJSON *j, *it;
	int rc = parse_file(x, "users.json", 1, &j, err, errlen);
	if (rc || (rc = want_array(j, "users.json", err, errlen))) {
		cJSON_Delete(j);
		return rc;
	}
	struct at a = {"users.json", "entry", 0, err, errlen};
	cJSON_ArrayForEach(it, j)
	{
		struct slack_user u = {0};
		const cJSON *profile;
		const char *pname, *ptitle;
		if ((rc = entry_object(&a, it)) || (rc = req_str(&a, it, "id", &u.id)) ||
		    (rc = opt_str(&a, it, "name", &u.name)) ||
		    (rc = opt_str(&a, it, "real_name", &u.real_name)) ||
		    (rc = opt_str(&a, it, "tz", &u.tz)) || (rc = opt_obj(&a, it, "profile", &profile)) ||
		    (rc = opt_str(&a, profile, "email", &u.email)) ||
		    (rc = opt_str(&a, profile, "display_name", &u.display_name)) ||
		    (rc = opt_str(&a, profile, "real_name", &pname)) ||
		    (rc = opt_str(&a, profile, "title", &ptitle)))
			break;
		if (!*u.real_name)
			u.real_name = pname;
		u.title = ptitle;
		u.deleted = opt_bool(it, "deleted");
		u.is_bot =
		    opt_bool(it, "is_bot") || opt_bool(it, "is_app_user") || !strcmp(u.id, "USLACKBOT");
		u.is_owner = opt_bool(it, "is_owner");
		u.is_primary_owner = opt_bool(it, "is_primary_owner");
		u.is_admin = opt_bool(it, "is_admin");
		if (cb && (rc = cb(ctx, &u)))
			break;
		a.index++;
	}
	cJSON_Delete(j);
	return rc;
}

/* ---- channels ---- */

static int channels_of(struct sx *x, const char *file, enum slack_chat_kind kind, slack_channel_cb cb,
                       void *ctx, char *err, size_t errlen)
{
	cJSON *j, *it;
	int rc = parse_file(x, file, kind == SLACK_PUBLIC, &j, err, errlen);
	if (rc || !j || (rc = want_array(j, file, err, errlen))) {
		cJSON_Delete(j);
		return rc;
	}
	struct at a = {file, "entry", 0, err, errlen};
	cJSON_ArrayForEach(it, j)
	{
		struct slack_channel c = {.kind = kind};
		const cJSON *purpose, *topic, *created;
		const char *pv = "", *tv = "";
		const char **members = NULL;
		if ((rc = entry_object(&a, it)) || (rc = req_str(&a, it, "id", &c.id)) ||
		    (rc = (kind == SLACK_DM ? opt_str : req_str)(&a, it, "name", &c.name)) ||
		    (rc = opt_str(&a, it, "creator", &c.creator)) ||
		    (rc = opt_obj(&a, it, "purpose", &purpose)) || (rc = opt_obj(&a, it, "topic", &topic)) ||
		    (rc = opt_str(&a, purpose, "value", &pv)) || (rc = opt_str(&a, topic, "value", &tv)) ||
		    (rc = opt_strings(&a, it, "members", &members, &c.nmembers)))
			break;
		if (kind == SLACK_DM) /* a DM's folder is its id */
			c.name = c.id;
		c.purpose = *pv ? pv : tv;
		c.members = members;
		created = cJSON_GetObjectItemCaseSensitive(it, "created");
		if (cJSON_IsNumber(created))
			c.created_ms = (int64_t)created->valuedouble * 1000;
		else if (created && !cJSON_IsNull(created))
			rc = fail(err, errlen, SLACK_EINPUT,
			          "%s: entry %d: field \"created\" must be a number", file, a.index);
		if (!rc && cb)
			rc = cb(ctx, &c);
		free(members);
		if (rc)
			break;
		a.index++;
	}
	cJSON_Delete(j);
	return rc;
}

static int op_channels(void *impl, slack_channel_cb cb, void *ctx, char *err, size_t errlen)
{
	struct sx *x = impl;
	int rc = channels_of(x, "channels.json", SLACK_PUBLIC, cb, ctx, err, errlen);
	if (!rc)
		rc = channels_of(x, "groups.json", SLACK_PRIVATE, cb, ctx, err, errlen);
	if (!rc)
		rc = channels_of(x, "mpims.json", SLACK_MPIM, cb, ctx, err, errlen);
	if (!rc)
		rc = channels_of(x, "dms.json", SLACK_DM, cb, ctx, err, errlen);
	return rc;
}

/* ---- messages ---- */

/* 1 when name is YYYY-MM-DD.json. */
static int day_file(const char *name)
{
	static const char pat[] = "dddd-dd-dd.json";
	if (strlen(name) != sizeof pat - 1)
		return 0;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? (name[i] < '0' || name[i] > '9') : name[i] != pat[i])
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The day files of folder ("general/2024-01-02.json", ...), by date; owned
 * (free each, then the array). */
static int day_files(struct sx *x, const char *folder, char ***out, size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (strchr(folder, '/') || !strcmp(folder, "..") || !strcmp(folder, "."))
		return fail(err, errlen, SLACK_EINPUT, "channel name \"%s\" is not a folder name", folder);
	if (x->zip) {
		size_t flen = strlen(folder);
		for (size_t i = 0; i < x->nentries; i++) {
			const char *nm = x->entries[i].name;
			if (strncmp(nm, folder, flen) || nm[flen] != '/' || !day_file(nm + flen + 1))
				continue;
			if (*n == cap)
				*out = xrealloc(*out, (cap = cap ? cap * 2 : 64) * sizeof **out);
			(*out)[(*n)++] = xstrdup(nm);
		}
		return 0; /* entries are sorted already */
	}
	char path[2048];
	snprintf(path, sizeof path, "%s/%s", x->root, folder);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0
		                       : fail(err, errlen, FE_EUNAVAIL, "%s/: %s", folder, strerror(errno));
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!day_file(de->d_name))
			continue;
		if (*n == cap)
			*out = xrealloc(*out, (cap = cap ? cap * 2 : 64) * sizeof **out);
		size_t len = strlen(folder) + strlen(de->d_name) + 2;
		(*out)[*n] = xmalloc(len);
		snprintf((*out)[(*n)++], len, "%s/%s", folder, de->d_name);
	}
	closedir(d);
	qsort(*out, *n, sizeof **out, cmp_str);
	return 0;
}

struct item {
	int64_t ts;
	int index;
	cJSON *j;
};

static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->index - y->index;
}

/* One message object into m (arrays owned by the caller's r and f). */
static int read_message(const struct at *a, const cJSON *it, struct slack_message *m,
                        struct slack_reaction **r, struct slack_file **f)
{
	const cJSON *edited, *bot_profile, *v, *el;
	int rc;
	const char *edited_ts = "";
	if ((rc = opt_str(a, it, "thread_ts", &m->thread_ts)) || (rc = opt_str(a, it, "user", &m->user)) ||
	    (rc = opt_str(a, it, "bot_id", &m->bot_id)) || (rc = opt_str(a, it, "username", &m->username)) ||
	    (rc = opt_str(a, it, "subtype", &m->subtype)) || (rc = opt_str(a, it, "text", &m->text)) ||
	    (rc = opt_obj(a, it, "edited", &edited)) || (rc = opt_str(a, edited, "ts", &edited_ts)) ||
	    (rc = opt_obj(a, it, "bot_profile", &bot_profile)))
		return rc;
	if (!*m->username && bot_profile && (rc = opt_str(a, bot_profile, "name", &m->username)))
		return rc;
	int64_t e = *edited_ts ? parse_ts(edited_ts) : 0;
	m->edited_ms = e > 0 ? e / 1000 : 0;
	if (*m->thread_ts && parse_ts(m->thread_ts) < 0)
		return fail(a->err, a->errlen, SLACK_EINPUT,
		            "%s: %s %d: field \"thread_ts\" is not a Slack timestamp", a->file, a->what,
		            a->index);
	v = cJSON_GetObjectItemCaseSensitive(it, "reactions");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsArray(v))
			return fail(a->err, a->errlen, SLACK_EINPUT,
			            "%s: %s %d: field \"reactions\" must be an array", a->file, a->what,
			            a->index);
		*r = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof **r);
		cJSON_ArrayForEach(el, v)
		{
			struct slack_reaction *x = &(*r)[m->nreactions];
			const char **users = NULL;
			if (!cJSON_IsObject(el))
				return fail(a->err, a->errlen, SLACK_EINPUT,
				            "%s: %s %d: a reaction is not an object", a->file, a->what,
				            a->index);
			if ((rc = req_str(a, el, "name", &x->name)) ||
			    (rc = opt_strings(a, el, "users", &users, &x->nusers)))
				return rc;
			x->users = users;
			m->nreactions++;
		}
	}
	v = cJSON_GetObjectItemCaseSensitive(it, "files");
	if (v && !cJSON_IsNull(v)) {
		if (!cJSON_IsArray(v))
			return fail(a->err, a->errlen, SLACK_EINPUT,
			            "%s: %s %d: field \"files\" must be an array", a->file, a->what,
			            a->index);
		*f = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof **f);
		cJSON_ArrayForEach(el, v)
		{
			struct slack_file *x = &(*f)[m->nfiles];
			if (!cJSON_IsObject(el))
				return fail(a->err, a->errlen, SLACK_EINPUT,
				            "%s: %s %d: a file is not an object", a->file, a->what, a->index);
			if ((rc = opt_str(a, el, "name", &x->name)) ||
			    (rc = opt_str(a, el, "title", &x->title)) ||
			    (rc = opt_str(a, el, "url_private", &x->url)))
				return rc;
			if (!*x->url && (rc = opt_str(a, el, "permalink", &x->url)))
				return rc;
			m->nfiles++;
		}
	}
	m->reactions = *r;
	m->files = *f;
	return 0;
}

static void free_reactions(struct slack_reaction *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		free((void *)r[i].users);
	free(r);
}

static int one_day(struct sx *x, const char *file, slack_message_cb cb, void *ctx, char *err, size_t errlen)
{
	cJSON *j, *it;
	int rc = parse_file(x, file, 1, &j, err, errlen);
	if (rc || (rc = want_array(j, file, err, errlen))) {
		cJSON_Delete(j);
		return rc;
	}
	size_t n = (size_t)cJSON_GetArraySize(j), k = 0;
	struct item *items = xcalloc(n + 1, sizeof *items);
	struct at a = {file, "message", 0, err, errlen};
	cJSON_ArrayForEach(it, j)
	{
		const char *ts;
		if ((rc = entry_object(&a, it)) || (rc = req_str(&a, it, "ts", &ts)))
			break;
		if ((items[k].ts = parse_ts(ts)) < 0) {
			rc = fail(err, errlen, SLACK_EINPUT,
			          "%s: message %d: field \"ts\" is not a Slack timestamp", file, a.index);
			break;
		}
		items[k].index = a.index++;
		items[k++].j = it;
	}
	if (!rc)
		qsort(items, k, sizeof *items, cmp_item);
	for (size_t i = 0; !rc && i < k; i++) {
		struct slack_message m = {.file = file, .ts_us = items[i].ts};
		struct slack_reaction *r = NULL;
		struct slack_file *f = NULL;
		a.index = items[i].index;
		opt_str(&a, items[i].j, "ts", &m.ts);
		rc = read_message(&a, items[i].j, &m, &r, &f);
		if (!rc && cb)
			rc = cb(ctx, &m);
		free_reactions(r, m.nreactions);
		free(f);
	}
	free(items);
	cJSON_Delete(j);
	return rc;
}

static int op_messages(void *impl, const char *folder, slack_message_cb cb, void *ctx, char *err,
                       size_t errlen)
{
	struct sx *x = impl;
	char **files;
	size_t n;
	int rc = day_files(x, folder, &files, &n, err, errlen);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			rc = one_day(x, files[i], cb, ctx, err, errlen);
		free(files[i]);
	}
	free(files);
	return rc;
}

static void op_close(void *impl)
{
	struct sx *x = impl;
	if (!x)
		return;
	if (x->zip)
		unzClose(x->zip);
	for (size_t i = 0; i < x->nentries; i++)
		free(x->entries[i].name);
	free(x->entries);
	free(x);
}

static const struct slack_source_ops ops = {op_users, op_channels, op_messages, op_close};

/* Lists the zip's files, sorted, relative to the folder holding users.json. */
static int list_zip(struct sx *x, const char *path, char *err, size_t errlen)
{
	size_t cap = 0;
	char name[1024];
	unz_file_info64 info;
	int rc = unzGoToFirstFile(x->zip);
	while (rc == UNZ_OK) {
		if (unzGetCurrentFileInfo64(x->zip, &info, name, sizeof name, NULL, 0, NULL, 0) != UNZ_OK)
			return fail(err, errlen, SLACK_EINPUT, "%s: damaged zip directory", path);
		size_t len = strlen(name);
		if (len && name[len - 1] != '/') {
			if (x->nentries == cap)
				x->entries =
				    xrealloc(x->entries, (cap = cap ? cap * 2 : 256) * sizeof *x->entries);
			struct entry *e = &x->entries[x->nentries++];
			e->name = xstrdup(name);
			unzGetFilePos64(x->zip, &e->pos);
		}
		rc = unzGoToNextFile(x->zip);
	}
	if (rc != UNZ_END_OF_LIST_OF_FILE)
		return fail(err, errlen, SLACK_EINPUT, "%s: damaged zip directory", path);
	/* a zip of the folder itself ("export/users.json"): strip that folder */
	const char *prefix = NULL;
	size_t plen = 0;
	for (size_t i = 0; i < x->nentries; i++) {
		const char *nm = x->entries[i].name, *slash = strchr(nm, '/');
		if (!strcmp(nm, "users.json")) {
			prefix = NULL;
			break;
		}
		if (slash && !strcmp(slash + 1, "users.json") && !prefix) {
			prefix = nm;
			plen = (size_t)(slash - nm) + 1;
		}
	}
	if (prefix) {
		char *p = xmalloc(plen + 1);
		memcpy(p, prefix, plen);
		p[plen] = 0;
		size_t k = 0;
		for (size_t i = 0; i < x->nentries; i++) {
			if (strncmp(x->entries[i].name, p, plen)) {
				free(x->entries[i].name);
				continue;
			}
			memmove(x->entries[i].name, x->entries[i].name + plen,
			        strlen(x->entries[i].name + plen) + 1);
			x->entries[k++] = x->entries[i];
		}
		x->nentries = k;
		free(p);
	}
	qsort(x->entries, x->nentries, sizeof *x->entries, cmp_entry);
	return 0;
}

int slack_export_open(const char *path, struct slack_source *src, char *err, size_t errlen)
{
	struct stat sb;
	src->ops = &ops;
	src->impl = NULL;
	if (stat(path, &sb))
		return fail(err, errlen, SLACK_EINPUT, "%s: %s", path, strerror(errno));
	struct sx *x = xcalloc(1, sizeof *x);
	int rc = 0;
	if (S_ISDIR(sb.st_mode)) {
		snprintf(x->root, sizeof x->root, "%s", path);
		snprintf(err, errlen, "%s/users.json", path);
		if (stat(err, &sb))
			rc = fail(err, errlen, SLACK_EINPUT, "%s: no users.json: not a Slack export folder",
			          path);
	} else if (!(x->zip = unzOpen64(path))) {
		rc = fail(err, errlen, SLACK_EINPUT, "%s: neither a folder nor a zip file", path);
	} else if (!(rc = list_zip(x, path, err, errlen)) && !find_entry(x, "users.json")) {
		rc =
		    fail(err, errlen, SLACK_EINPUT, "%s: no users.json in the zip: not a Slack export", path);
	}
	if (rc) {
		op_close(x);
		return rc;
	}
	err[0] = 0;
	src->impl = x;
	return 0;
}
