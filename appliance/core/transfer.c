/* core/transfer: export and import of one workspace (see transfer.h). */
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/transfer.h"
#include "lib/crypto.h"
#include "lib/progress.h"

struct exporting {
	struct tr_codec *out;
	struct transfer_stats *stats;
	struct progress p;
	int failed;
};

static int export_one(const struct tr_record *r, void *arg)
{
	struct exporting *x = arg;
	if (r->kind == TR_HEADER)
		progress_begin(&x->p, "export", (uint64_t)r->u.header.messages, "messages");
	if (x->out->ops->write(x->out->impl, r)) {
		x->failed = 1;
		return -1;
	}
	x->stats->records++;
	if (r->kind == TR_USER)
		x->stats->users++;
	else if (r->kind == TR_CHAT)
		x->stats->chats++;
	else if (r->kind == TR_MESSAGE)
		progress_update(&x->p, (uint64_t)++x->stats->messages);
	return 0;
}

int transfer_export(struct tr_source *src, struct tr_codec *out, struct transfer_stats *stats, char *err,
                    size_t errlen)
{
	memset(stats, 0, sizeof *stats);
	struct exporting x = {out, stats, {0}, 0};
	int rc = src->ops->each(src->impl, export_one, &x, err, errlen);
	if (x.failed)
		snprintf(err, errlen, "export: write error");
	if (x.p.label[0])
		progress_end(&x.p);
	return rc ? -1 : 0;
}

/* Gives the imported user a new random password: hashes it into the record
 * and writes "email<TAB>password" to passwords. */
static int new_password(struct tr_user *u, FILE *passwords)
{
	char pw[24];
	random_b64url(15, pw, sizeof pw); /* 120 bits, 20 characters */
	int rc = pw_hash(pw, u->password_hash) || fprintf(passwords, "%s\t%s\n", u->email, pw) < 0 ? -1 : 0;
	sodium_memzero(pw, sizeof pw);
	return rc;
}

/* Fills err with the codec's position ("line 12: ") and the message;
 * returns TR_EINPUT. */
static int at(struct tr_codec *in, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int at(struct tr_codec *in, char *err, size_t errlen, const char *fmt, ...)
{
	char where[32] = "", msg[700];
	va_list ap;
	in->ops->where(in->impl, where, sizeof where);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: %s", where, msg);
	return TR_EINPUT;
}

int transfer_import(struct tr_codec *in, struct tr_sink *sink, FILE *passwords, struct transfer_stats *stats,
                    char *err, size_t errlen)
{
	struct tr_record r;
	struct progress p;
	int last = -1, got, rc = 0;
	char why[400];
	memset(stats, 0, sizeof *stats);
	p.label[0] = 0;
	while ((got = in->ops->read(in->impl, &r, err, errlen)) == 1) {
		/* the records come in kind order: header, workspace (once), ..., end */
		if (last < 0 && r.kind != TR_HEADER)
			rc = at(
			    in, err, errlen,
			    "the file must start with a header record, not \"%s\" (not a fechatter export?)",
			    tr_kind_name(r.kind));
		else if (last == TR_END)
			rc =
			    at(in, err, errlen, "a \"%s\" record after the end record", tr_kind_name(r.kind));
		else if (last >= 0 && (r.kind == TR_HEADER || r.kind == TR_WORKSPACE) && last >= (int)r.kind)
			rc = at(in, err, errlen, "a second \"%s\" record", tr_kind_name(r.kind));
		else if (last == TR_HEADER && r.kind != TR_WORKSPACE)
			rc = at(in, err, errlen, "the workspace record must follow the header, not \"%s\"",
			        tr_kind_name(r.kind));
		else if ((int)r.kind < last)
			rc = at(in, err, errlen, "a \"%s\" record after the \"%s\" records (out of order)",
			        tr_kind_name(r.kind), tr_kind_name(last));
		if (rc)
			break;
		last = r.kind;
		if (r.kind == TR_HEADER)
			progress_begin(&p, "import", (uint64_t)r.u.header.messages, "messages");
		if (r.kind == TR_USER && new_password(&r.u.user, passwords)) {
			snprintf(err, errlen, "import: cannot write the passwords file");
			rc = TR_ESTORE;
			break;
		}
		if ((rc = sink->ops->put(sink->impl, &r, why, sizeof why))) {
			if (rc == TR_EINPUT)
				at(in, err, errlen, "%s: %s", tr_kind_name(r.kind), why);
			else
				snprintf(err, errlen, "%s", why);
			break;
		}
		stats->records++;
		if (r.kind == TR_USER)
			stats->users++;
		else if (r.kind == TR_CHAT)
			stats->chats++;
		else if (r.kind == TR_MESSAGE)
			progress_update(&p, (uint64_t)++stats->messages);
	}
	if (got < 0)
		rc = TR_EINPUT; /* err set by the codec */
	else if (!rc && last != TR_END)
		rc = at(in, err, errlen, "the file ends without its end record (%s)",
		        last < 0 ? "empty file" : "truncated?");
	if (!rc && (rc = sink->ops->commit(sink->impl, why, sizeof why)))
		snprintf(err, errlen, "%s", why);
	if (p.label[0])
		progress_end(&p);
	return rc;
}
