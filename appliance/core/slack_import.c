/* core/slack_import: a Slack export applied to the store (see the header
 * for what becomes what). Two passes over the source: one that checks the
 * whole export and counts its messages (nothing written), one that writes.
 * In memory: the users (Slack id -> ours, with the name mentions use) and
 * the channel list; messages stream one day file at a time. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/auth.h"
#include "core/message.h"
#include "core/slack_import.h"
#include "lib/log.h"
#include "lib/progress.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#define K_USER "slack.user"
#define K_BOT "slack.bot"
#define K_CHAN "slack.channel"
#define K_MSG "slack.message"
#define MAX_MENTIONS 64
#define WARN_MAX 10 /* warnings of one kind logged, the rest counted */

/* ---- text ---- */

/* Appends s[0..n) with Slack's three HTML entities decoded. */
static void add_decoded(struct buf *b, const char *s, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}};
	size_t start = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '&')
			continue;
		for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
			size_t el = strlen(ents[k].ent);
			if (i + el <= n && !strncmp(s + i, ents[k].ent, el)) {
				buf_addn(b, s + start, i - start);
				buf_addn(b, &ents[k].c, 1);
				start = i + el;
				i += el - 1;
				break;
			}
		}
	}
	buf_addn(b, s + start, n - start);
}

static void add_id(int64_t *ids, size_t max, size_t *n, int64_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	if (*n < max)
		ids[(*n)++] = id;
}

void slack_text(const char *in, slack_user_lookup lookup, void *ctx, int64_t self, struct buf *out,
                int64_t *ids, size_t max_ids, size_t *nids, int *mentions_all)
{
	const char *p = in;
	buf_add(out, "");
	while (*p) {
		const char *lt = strchr(p, '<');
		const char *gt = lt ? strchr(lt, '>') : NULL;
		if (!lt || !gt) {
			add_decoded(out, p, strlen(p));
			break;
		}
		add_decoded(out, p, (size_t)(lt - p));
		const char *t = lt + 1, *bar = memchr(t, '|', (size_t)(gt - t));
		size_t tlen = (size_t)((bar ? bar : gt) - t);
		const char *label = bar ? bar + 1 : NULL;
		size_t llen = bar ? (size_t)(gt - label) : 0;
		if (tlen > 1 && t[0] == '@') {
			char id[64];
			const char *name;
			int64_t uid;
			snprintf(id, sizeof id, "%.*s", (int)(tlen - 1), t + 1);
			buf_add(out, "@");
			if (lookup && !lookup(ctx, id, &name, &uid)) {
				buf_add(out, name);
				if (uid != self)
					add_id(ids, max_ids, nids, uid);
			} else if (label && llen) {
				add_decoded(out, label, llen);
			} else {
				buf_addn(out, id, strlen(id));
			}
		} else if (tlen > 1 && t[0] == '#') {
			buf_add(out, "#");
			if (label && llen)
				add_decoded(out, label, llen);
			else
				buf_addn(out, t + 1, tlen - 1);
		} else if (tlen > 1 && t[0] == '!') {
			const char *special[] = {"here", "channel", "everyone"};
			int done = 0;
			for (size_t k = 0; k < 3 && !done; k++)
				if (tlen - 1 == strlen(special[k]) && !strncmp(t + 1, special[k], tlen - 1)) {
					buf_add(out, "@");
					buf_add(out, special[k]);
					*mentions_all = 1;
					done = 1;
				}
			if (!done && label && llen) /* <!subteam^S1|@team>, <!date^...|fallback> */
				add_decoded(out, label, llen);
		} else if (label && llen && !(tlen > 7 && !strncmp(t, "mailto:", 7))) {
			buf_add(out, "[");
			add_decoded(out, label, llen);
			buf_add(out, "](");
			add_decoded(out, t, tlen);
			buf_add(out, ")");
		} else if (tlen > 7 && !strncmp(t, "mailto:", 7)) {
			add_decoded(out, t + 7, tlen - 7);
		} else {
			add_decoded(out, t, tlen);
		}
		p = gt + 1;
	}
}

int slack_emoji(const char *name, char *out, size_t size)
{
	static const struct {
		const char *name, *emoji;
	} map[] = {
	    {"+1", "👍"},
	    {"thumbsup", "👍"},
	    {"-1", "👎"},
	    {"thumbsdown", "👎"},
	    {"heart", "❤️"},
	    {"smile", "😄"},
	    {"smiley", "😃"},
	    {"grinning", "😀"},
	    {"laughing", "😆"},
	    {"joy", "😂"},
	    {"rofl", "🤣"},
	    {"wink", "😉"},
	    {"blush", "😊"},
	    {"slightly_smiling_face", "🙂"},
	    {"heart_eyes", "😍"},
	    {"thinking_face", "🤔"},
	    {"sweat_smile", "😅"},
	    {"cry", "😢"},
	    {"sob", "😭"},
	    {"tada", "🎉"},
	    {"fire", "🔥"},
	    {"eyes", "👀"},
	    {"pray", "🙏"},
	    {"clap", "👏"},
	    {"raised_hands", "🙌"},
	    {"ok_hand", "👌"},
	    {"wave", "👋"},
	    {"muscle", "💪"},
	    {"100", "💯"},
	    {"rocket", "🚀"},
	    {"star", "⭐"},
	    {"sparkles", "✨"},
	    {"white_check_mark", "✅"},
	    {"heavy_check_mark", "✔️"},
	    {"x", "❌"},
	    {"warning", "⚠️"},
	    {"point_up", "☝️"},
	    {"bulb", "💡"},
	    {"party_popper", "🎉"},
	    {"confused", "😕"},
	    {"scream", "😱"},
	    {"sunglasses", "😎"},
	    {"coffee", "☕"},
	    {"beers", "🍻"},
	    {"memo", "📝"},
	    {"question", "❓"},
	    {"exclamation", "❗"},
	};
	char base[64];
	snprintf(base, sizeof base, "%s", name);
	char *skin = strstr(base, "::"); /* "+1::skin-tone-3": the tone is dropped */
	if (skin)
		*skin = 0;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(base, map[i].name)) {
			snprintf(out, size, "%s", map[i].emoji);
			return 0;
		}
	if (!*base || strlen(base) + 2 > 32 || strpbrk(base, " \t\r\n"))
		return -1;
	snprintf(out, size, ":%s:", base);
	return 0;
}

/* Copies src into dst (size bytes) without control characters (newlines
 * and tabs kept when lines), at most max characters, trimmed of spaces at
 * both ends when !lines. Returns 1 when it had to cut. */
static int clean_copy(char *dst, size_t size, const char *src, size_t max, int lines)
{
	size_t o = 0, chars = 0;
	int cut = 0;
	if (!lines)
		while (*src == ' ')
			src++;
	for (const unsigned char *s = (const unsigned char *)src; *s;) {
		size_t len;
		unsigned cp = utf8_decode((const char *)s, &len);
		if (!len)
			len = 1;
		int ctl = cp < 0x20 ? !(lines && (cp == '\n' || cp == '\t'))
		                    : (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f));
		if (!ctl) {
			if (chars == max || o + len + 1 > size) {
				cut = 1;
				break;
			}
			memcpy(dst + o, s, len);
			o += len;
			chars++;
		}
		s += len;
	}
	while (!lines && o && dst[o - 1] == ' ')
		o--;
	dst[o] = 0;
	return cut;
}

/* ---- the users seen: Slack id -> ours ---- */

struct who {
	char *key; /* Slack user or bot id; NULL = free slot */
	int64_t id;
	char name[UTF8_BUF(50)];
	int linkable; /* a person who may get a password-set link */
};

struct users {
	struct who *slots;
	size_t cap, n;
	char **order; /* keys of linkable users, in users.json order (owned copies) */
	size_t norder, order_cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct who *users_find(struct users *u, const char *key)
{
	if (!u->cap)
		return NULL;
	for (size_t i = hash_str(key) & (u->cap - 1);; i = (i + 1) & (u->cap - 1)) {
		if (!u->slots[i].key)
			return NULL;
		if (!strcmp(u->slots[i].key, key))
			return &u->slots[i];
	}
}

static struct who *users_add(struct users *u, const char *key, int64_t id, const char *name, int linkable)
{
	if ((u->n + 1) * 2 > u->cap) {
		struct users old = *u;
		u->cap = old.cap ? old.cap * 2 : 1024;
		u->slots = xcalloc(u->cap, sizeof *u->slots);
		u->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].key) {
				struct who *w =
				    users_add(u, old.slots[i].key, old.slots[i].id, old.slots[i].name, 0);
				w->linkable = old.slots[i].linkable;
				free(old.slots[i].key);
			}
		free(old.slots);
	}
	size_t i = hash_str(key) & (u->cap - 1);
	while (u->slots[i].key)
		i = (i + 1) & (u->cap - 1);
	struct who *w = &u->slots[i];
	w->key = xstrdup(key);
	w->id = id;
	snprintf(w->name, sizeof w->name, "%s", name);
	w->linkable = linkable;
	u->n++;
	return w;
}

static void users_free(struct users *u)
{
	for (size_t i = 0; i < u->cap; i++)
		free(u->slots[i].key);
	free(u->slots);
	for (size_t i = 0; i < u->norder; i++)
		free(u->order[i]);
	free(u->order);
}

/* ---- the import ---- */

struct chan {
	char *slack_id, *folder;
	enum slack_chat_kind kind;
	int64_t chat_id;          /* 0: not imported (skipped) */
	int64_t last_id, last_at; /* the newest message imported in this run */
};

struct imp {
	struct store *st;
	const struct slack_import_opts *o;
	struct slack_import_stats *s;
	char *err;
	size_t errlen;
	int64_t ws;
	int new_ws;
	char owner_key[64];    /* the Slack id of the new workspace's owner */
	int owner_rank;        /* primary owner 3, owner 2, admin 1, anyone 0 */
	int64_t fallback_user; /* a creator for chats whose creator is unknown */
	struct users users;
	struct chan *chans;
	size_t nchans, chan_cap, cur; /* cur: the channel being applied */
	size_t rows;                  /* messages in the open transaction */
	struct progress prog;
	uint64_t seen;
	int warned_author;
};

static int store_fail(struct imp *x, int rc, const char *what)
{
	snprintf(x->err, x->errlen, "store error %d while %s", rc, what);
	return rc;
}

/* Pass 1 (check): the owner candidate of a new workspace. */
static int check_user(void *ctx, const struct slack_user *u)
{
	struct imp *x = ctx;
	int person = !u->deleted && !u->is_bot;
	/* rank: primary owner 3, owner 2, admin 1, anyone 0 */
	int rank = u->is_primary_owner ? 3 : u->is_owner ? 2 : u->is_admin ? 1 : 0;
	if (person && (!x->owner_key[0] || rank > x->owner_rank)) {
		x->owner_rank = rank;
		snprintf(x->owner_key, sizeof x->owner_key, "%s", u->id);
	}
	return 0;
}

static int check_channel(void *ctx, const struct slack_channel *c)
{
	struct imp *x = ctx;
	if (x->nchans == x->chan_cap)
		x->chans =
		    xrealloc(x->chans, (x->chan_cap = x->chan_cap ? x->chan_cap * 2 : 64) * sizeof *x->chans);
	struct chan *ch = &x->chans[x->nchans++];
	memset(ch, 0, sizeof *ch);
	ch->slack_id = xstrdup(c->id);
	ch->folder = xstrdup(c->name);
	ch->kind = c->kind;
	return 0;
}

static int count_message(void *ctx, const struct slack_message *m)
{
	struct imp *x = ctx;
	x->s->messages_total++;
	return 0;
}

static int lookup_user(void *ctx, const char *slack_id, const char **name, int64_t *id)
{
	struct who *w = users_find(&((struct imp *)ctx)->users, slack_id);
	if (!w)
		return -1;
	*name = w->name;
	*id = w->id;
	return 0;
}

static void remember_linkable(struct imp *x, const char *key)
{
	struct users *u = &x->users;
	if (u->norder == u->order_cap)
		u->order = xrealloc(u->order, (u->order_cap = u->order_cap ? u->order_cap * 2 : 256) *
		                                  sizeof *u->order);
	u->order[u->norder++] = xstrdup(key);
}

/* A unique synthetic address for a Slack id. */
static void synthetic_email(const char *id, int n, char *out, size_t size)
{
	char low[64];
	size_t i = 0;
	for (; id[i] && i + 1 < sizeof low; i++)
		low[i] = (id[i] >= 'A' && id[i] <= 'Z') ? (char)(id[i] + 32) : id[i];
	low[i] = 0;
	if (n)
		snprintf(out, size, "%s-%d@slack-import.invalid", low, n);
	else
		snprintf(out, size, "%s@slack-import.invalid", low);
}

/* Inserts an account (no password) or maps an existing one of the
 * workspace with that email. *id gets ours. */
static int add_account(struct imp *x, const char *slack_id, const char *want_email, const char *fullname,
                       const char *role, int suspended, int64_t *id, int *merged)
{
	struct user u = {0};
	int rc;
	*merged = 0;
	u.workspace_id = x->ws;
	u.created_at = x->o->now_ms();
	snprintf(u.fullname, sizeof u.fullname, "%s", fullname);
	snprintf(u.role, sizeof u.role, "%s", role);
	for (int n = 0; n < 100; n++) {
		if (n == 0 && *want_email) {
			snprintf(u.email, sizeof u.email, "%s", want_email);
			struct user old;
			rc = store_call(x->st, user_by_email, u.email, &old);
			if (!rc && old.workspace_id == x->ws) {
				*id = old.id;
				*merged = 1;
				return 0;
			}
			if (rc && rc != FE_ENOTFOUND)
				return rc;
			if (!rc)
				continue; /* another workspace's: a synthetic address */
		} else {
			synthetic_email(slack_id, n > 1 ? n : 0, u.email, sizeof u.email);
		}
		rc = store_call(x->st, user_insert, &u, "");
		if (rc == FE_ECONFLICT)
			continue;
		if (rc)
			return rc;
		if (suspended && (rc = store_call(x->st, user_set_role_status, u.id, role, "Suspended")))
			return rc;
		*id = u.id;
		return 0;
	}
	return FE_ECONFLICT;
}

static int apply_user(void *ctx, const struct slack_user *su)
{
	struct imp *x = ctx;
	int64_t id;
	int person = !su->deleted && !su->is_bot, rc, merged;
	char name[UTF8_BUF(50)];
	const char *src = *su->real_name      ? su->real_name
	                  : *su->display_name ? su->display_name
	                  : *su->name         ? su->name
	                                      : su->id;
	clean_copy(name, sizeof name, src, 50, 0);
	if (!*name)
		clean_copy(name, sizeof name, su->id, 50, 0);
	rc = store_call(x->st, import_map_get, K_USER, su->id, &id);
	if (!rc) {
		struct user u;
		if ((rc = store_call(x->st, user_get, id, &u)))
			return store_fail(x, rc, "reading an imported user");
		users_add(&x->users, su->id, id, u.fullname, person);
		if (person)
			remember_linkable(x, su->id);
		x->s->users_mapped++;
		return 0;
	}
	if (rc != FE_ENOTFOUND)
		return store_fail(x, rc, "reading the import map");
	char email[256] = "";
	for (size_t i = 0; su->email[i] && i + 1 < sizeof email; i++) {
		char c = su->email[i];
		email[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		email[i + 1] = 0;
	}
	if (*email && auth_check_email(email, NULL))
		email[0] = 0;
	int owner = x->new_ws && !strcmp(su->id, x->owner_key);
	const char *role = owner                                                    ? "owner"
	                   : (su->is_primary_owner || su->is_owner || su->is_admin) ? "admin"
	                                                                            : "member";
	if ((rc = add_account(x, su->id, email, name, role, !person, &id, &merged)))
		return store_fail(x, rc, "adding a user");
	if ((rc = store_call(x->st, import_map_put, K_USER, su->id, id)))
		return store_fail(x, rc, "writing the import map");
	if (owner) {
		if ((rc = store_call(x->st, workspace_set_owner, x->ws, id)))
			return store_fail(x, rc, "setting the owner");
		x->s->owner_id = id;
	}
	users_add(&x->users, su->id, id, name, person);
	if (person)
		remember_linkable(x, su->id);
	if (merged)
		x->s->users_merged++;
	else
		x->s->users_new++;
	if (!x->fallback_user || owner)
		x->fallback_user = id;
	return 0;
}

/* The account of a bot without a user record: one per bot id, Suspended. */
static int bot_account(struct imp *x, const struct slack_message *m, int64_t *id)
{
	struct who *w = users_find(&x->users, m->bot_id);
	if (w) {
		*id = w->id;
		return 0;
	}
	int rc = store_call(x->st, import_map_get, K_BOT, m->bot_id, id);
	char name[UTF8_BUF(50)];
	if (!rc) {
		struct user u;
		if ((rc = store_call(x->st, user_get, *id, &u)))
			return rc;
		users_add(&x->users, m->bot_id, *id, u.fullname, 0);
		return 0;
	}
	if (rc != FE_ENOTFOUND)
		return rc;
	clean_copy(name, sizeof name, *m->username ? m->username : m->bot_id, 50, 0);
	int merged;
	if ((rc = add_account(x, m->bot_id, "", name, "member", 1, id, &merged)) ||
	    (rc = store_call(x->st, import_map_put, K_BOT, m->bot_id, *id)))
		return rc;
	users_add(&x->users, m->bot_id, *id, name, 0);
	x->s->bots++;
	return 0;
}

static int ensure_member(struct imp *x, int64_t chat, int64_t user, const char *role, int64_t at)
{
	int rc = store_call(x->st, member_add, chat, user, role, at);
	return rc == FE_ECONFLICT ? 0 : rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int apply_channel(void *ctx, const struct slack_channel *c)
{
	struct imp *x = ctx;
	struct chan *ch = NULL;
	for (size_t i = 0; i < x->nchans; i++)
		if (!strcmp(x->chans[i].slack_id, c->id)) {
			ch = &x->chans[i];
			break;
		}
	if (!ch)
		return 0;
	int64_t *ids = xcalloc(c->nmembers + 1, sizeof *ids), creator = 0, id;
	size_t n = 0;
	int rc;
	for (size_t i = 0; i < c->nmembers; i++) {
		struct who *w = users_find(&x->users, c->members[i]);
		if (w)
			add_id(ids, c->nmembers, &n, w->id);
	}
	struct who *cw = *c->creator ? users_find(&x->users, c->creator) : NULL;
	if (cw)
		creator = cw->id;
	int64_t at = c->created_ms ? c->created_ms : x->o->now_ms();
	rc = store_call(x->st, import_map_get, K_CHAN, c->id, &id);
	if (rc == 0) {
		ch->chat_id = id;
		x->s->chats_mapped++;
	} else if (rc != FE_ENOTFOUND) {
		goto out;
	} else {
		struct chat chat = {0};
		char single[48] = "";
		chat.workspace_id = x->ws;
		chat.created_at = at;
		chat.created_by = creator ? creator : n ? ids[0] : x->fallback_user;
		static const char *types[] = {"PublicChannel", "PrivateChannel", "Group", "Single"};
		snprintf(chat.chat_type, sizeof chat.chat_type, "%s", types[c->kind]);
		clean_copy(chat.description, sizeof chat.description, c->purpose, 500, 0);
		if (!chat.created_by || (c->kind == SLACK_DM && n != 2) || (c->kind == SLACK_MPIM && n < 2)) {
			x->s->chats_skipped++; /* nobody we know in it (or a DM with oneself) */
			log_warn("slack_import: chat %s skipped: not enough known members", c->id);
			rc = 0;
			goto out;
		}
		if (c->kind == SLACK_DM) {
			qsort(ids, n, sizeof *ids, cmp_i64);
			snprintf(single, sizeof single, "%lld:%lld", (long long)ids[0], (long long)ids[1]);
			rc = store_call(x->st, chat_find_single, x->ws, single, &chat.id);
			if (rc && rc != FE_ENOTFOUND)
				goto out;
			if (rc)
				rc = store_call(x->st, chat_insert, &chat, single);
		} else if (c->kind == SLACK_MPIM) {
			rc = store_call(x->st, chat_insert, &chat, NULL);
		} else {
			char base[UTF8_BUF(50)];
			clean_copy(base, sizeof base, c->name, 50, 0);
			if (!*base)
				snprintf(base, sizeof base, "%s", c->id);
			for (int k = 1; k < 1000; k++) {
				if (k == 1) {
					snprintf(chat.name, sizeof chat.name, "%s", base);
				} else {
					char suffix[16], cut[UTF8_BUF(50)];
					snprintf(suffix, sizeof suffix, "-%d", k);
					clean_copy(cut, sizeof cut, base, 50 - strlen(suffix), 0);
					snprintf(chat.name, sizeof chat.name, "%s%s", cut, suffix);
				}
				if ((rc = store_call(x->st, chat_insert, &chat, NULL)) != FE_ECONFLICT)
					break;
			}
		}
		if (rc)
			goto out;
		if ((rc = store_call(x->st, import_map_put, K_CHAN, c->id, chat.id)))
			goto out;
		ch->chat_id = chat.id;
		x->s->chats_new++;
		/* members with the chat, in its transaction: a re-run finds the
		 * chat mapped and adds no one (not even who left it since) */
		for (size_t i = 0; i < n && !rc; i++)
			rc = ensure_member(x, ch->chat_id, ids[i],
			                   ids[i] == creator && c->kind != SLACK_DM ? "owner" : "member", at);
	}
out:
	free(ids);
	if (rc)
		store_fail(x, rc, "adding a chat");
	return rc;
}

/* Ends the current channel's share of the open transaction: its activity
 * and its members' read markers at its newest imported message. */
static int touch_chan(struct imp *x)
{
	if (x->cur >= x->nchans)
		return 0;
	struct chan *ch = &x->chans[x->cur];
	if (!ch->last_id)
		return 0;
	int64_t *members = NULL;
	size_t n = 0;
	int rc = store_call(x->st, chat_touch, ch->chat_id, ch->last_id, ch->last_at);
	if (!rc)
		rc = store_call(x->st, member_ids, ch->chat_id, &members, &n);
	for (size_t i = 0; i < n && !rc; i++)
		rc = store_call(x->st, read_set, ch->chat_id, members[i], ch->last_id, x->o->now_ms());
	free(members);
	return rc;
}

static int flush(struct imp *x)
{
	int rc;
	if ((rc = touch_chan(x)) || (rc = store_call(x->st, commit)))
		return store_fail(x, rc, "committing");
	if ((rc = store_call(x->st, begin)))
		return store_fail(x, rc, "starting a transaction");
	x->rows = 0;
	return 0;
}

static int imported_subtype(const char *st)
{
	static const char *ok[] = {"",           "thread_broadcast", "reply_broadcast", "me_message",
	                           "file_share", "bot_message",      "tombstone"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(st, ok[i]))
			return 1;
	return 0;
}

static int apply_message(void *ctx, const struct slack_message *m)
{
	struct imp *x = ctx;
	struct chan *ch = &x->chans[x->cur];
	char key[160], root_key[160];
	int64_t id, sender = 0, root = 0;
	int rc;
	if (x->o->show_progress)
		progress_update(&x->prog, ++x->seen);
	snprintf(key, sizeof key, "%s/%s", ch->slack_id, m->ts);
	rc = store_call(x->st, import_map_get, K_MSG, key, &id);
	if (!rc) {
		x->s->messages_mapped++;
		return 0;
	}
	if (rc != FE_ENOTFOUND)
		return store_fail(x, rc, "reading the import map");
	if (!imported_subtype(m->subtype)) {
		x->s->skipped_system++;
		return 0;
	}
	struct who *w = *m->user ? users_find(&x->users, m->user) : NULL;
	if (w)
		sender = w->id;
	else if (*m->bot_id && (!*m->user || !strcmp(m->subtype, "bot_message"))) {
		if ((rc = bot_account(x, m, &sender)))
			return store_fail(x, rc, "adding a bot account");
	} else {
		x->s->skipped_unknown_author++;
		if (x->warned_author++ < WARN_MAX)
			log_warn("slack_import: %s: message %s skipped: its author %s is not in users.json",
			         m->file, m->ts, *m->user ? m->user : "(none)");
		return 0;
	}
	int deleted = !strcmp(m->subtype, "tombstone");
	struct buf text = {0};
	int64_t ids[MAX_MENTIONS];
	size_t nids = 0;
	int all = 0;
	int me = !strcmp(m->subtype, "me_message");
	if (me)
		buf_add(&text, "_");
	slack_text(m->text, lookup_user, x, sender, &text, ids, MAX_MENTIONS, &nids, &all);
	if (me)
		buf_add(&text, "_");
	for (size_t i = 0; i < m->nfiles; i++) {
		const struct slack_file *f = &m->files[i];
		if (!*f->url)
			continue;
		buf_addf(&text, "%s[%s](%s)", text.len ? "\n" : "",
		         *f->title  ? f->title
		         : *f->name ? f->name
		                    : "file",
		         f->url);
		x->s->file_links++;
	}
	struct message msg = {0};
	size_t cap = text.len * 1 + 8;
	msg.content = xmalloc(cap);
	if (clean_copy(msg.content, cap, text.p ? text.p : "", MESSAGE_MAX_CHARS, 1))
		x->s->truncated++;
	buf_free(&text);
	if (!*msg.content && !deleted) {
		free(msg.content);
		x->s->skipped_empty++;
		return 0;
	}
	if (*m->thread_ts && strcmp(m->thread_ts, m->ts)) {
		snprintf(root_key, sizeof root_key, "%s/%s", ch->slack_id, m->thread_ts);
		rc = store_call(x->st, import_map_get, K_MSG, root_key, &root);
		if (rc == FE_ENOTFOUND) {
			root = 0;
			x->s->orphan_replies++;
		} else if (rc) {
			free(msg.content);
			return store_fail(x, rc, "reading the import map");
		}
	}
	msg.chat_id = ch->chat_id;
	msg.sender_id = sender;
	msg.reply_to = root;
	msg.created_at = m->ts_us / 1000;
	msg.mentions_all = all;
	rc = store_call(x->st, message_insert, &msg);
	if (!rc && nids)
		rc = store_call(x->st, mentions_insert, msg.id, ch->chat_id, ids, nids);
	if (!rc && root)
		rc = store_call(x->st, reply_count_add, root, 1);
	if (!rc && m->edited_ms && !deleted) {
		rc = store_call(x->st, message_edit, msg.id, msg.content, m->edited_ms);
		x->s->edited++;
	}
	for (size_t i = 0; !rc && !deleted && i < m->nreactions; i++) {
		char emoji[36];
		const struct slack_reaction *r = &m->reactions[i];
		if (slack_emoji(r->name, emoji, sizeof emoji)) {
			x->s->reactions_skipped += (int64_t)r->nusers;
			continue;
		}
		for (size_t k = 0; !rc && k < r->nusers; k++) {
			struct who *rw = users_find(&x->users, r->users[k]);
			if (!rw) {
				x->s->reactions_skipped++;
				continue;
			}
			rc = store_call(x->st, reaction_add, msg.id, rw->id, emoji, msg.created_at);
			if (rc == FE_ECONFLICT) /* two Slack names of one emoji (skin tones) */
				rc = 0;
			else if (!rc)
				x->s->reactions++;
		}
	}
	if (!rc && deleted) {
		if (!(rc = store_call(x->st, message_delete, msg.id, msg.created_at)) && root)
			rc = store_call(x->st, reply_count_add, root, -1);
		x->s->deleted++;
	}
	if (!rc)
		rc = store_call(x->st, import_map_put, K_MSG, key, msg.id);
	free(msg.content);
	if (rc)
		return store_fail(x, rc, "adding a message");
	x->s->messages_new++;
	x->s->mentions += (int64_t)nids;
	if (root)
		x->s->replies++;
	if (msg.id > ch->last_id) {
		ch->last_id = msg.id;
		ch->last_at = msg.created_at;
	}
	if (++x->rows >= (size_t)x->o->batch)
		return flush(x);
	return 0;
}

/* The workspace to import into (x->ws), or a new one (x->new_ws). */
static int target(struct imp *x)
{
	int64_t n;
	int rc = store_call(x->st, workspace_count, &n);
	if (rc)
		return store_fail(x, rc, "counting workspaces");
	if (x->o->workspace_id) {
		struct workspace w;
		rc = store_call(x->st, workspace_get, x->o->workspace_id, &w);
		if (rc == FE_ENOTFOUND) {
			snprintf(x->err, x->errlen, "no workspace %lld on this appliance",
			         (long long)x->o->workspace_id);
			return SLACK_EINPUT;
		}
		if (rc)
			return store_fail(x, rc, "reading the workspace");
		x->ws = w.id;
		x->fallback_user = w.owner_id;
		return 0;
	}
	if (n > 1) {
		snprintf(x->err, x->errlen,
		         "this appliance has %lld workspaces: choose one with --workspace ID", (long long)n);
		return SLACK_EINPUT;
	}
	if (n == 0) {
		if (!x->owner_key[0]) {
			snprintf(x->err, x->errlen,
			         "users.json: no active person to own the new workspace (every user is "
			         "deleted or a bot)");
			return SLACK_EINPUT;
		}
		x->new_ws = 1;
		return 0;
	}
	/* the only workspace: workspaces are never deleted and their ids
	 * start at 1, so the one there is is found among the first ids */
	for (int64_t id = 1; id <= 64; id++) {
		struct workspace w;
		rc = store_call(x->st, workspace_get, id, &w);
		if (!rc) {
			x->ws = w.id;
			x->fallback_user = w.owner_id;
			return 0;
		}
		if (rc != FE_ENOTFOUND)
			return store_fail(x, rc, "finding the workspace");
	}
	snprintf(x->err, x->errlen, "cannot tell this appliance's workspace: choose it with --workspace ID");
	return SLACK_EINPUT;
}

/* Makes a link for each imported person still without a password, into
 * out (lines printed once committed). */
static int make_links(struct imp *x, struct buf *out)
{
	for (size_t i = 0; i < x->users.norder; i++) {
		struct who *w = users_find(&x->users, x->users.order[i]);
		struct credentials c;
		struct user u;
		char token[AUTH_LINK_TOKEN_MAX];
		int64_t exp;
		if (!w || !w->linkable)
			continue;
		int rc = store_call(x->st, credentials_by_id, w->id, &c);
		int none = !rc && !c.password_hash[0] && !strcmp(c.status, "Active");
		sodium_memzero(&c, sizeof c);
		if (rc)
			return store_fail(x, rc, "reading an account");
		if (!none)
			continue;
		if ((rc = store_call(x->st, user_get, w->id, &u)) ||
		    (rc = auth_password_link_new(x->st, w->id, x->o->now_ms(), x->o->link_ttl_ms, token,
		                                 &exp)))
			return store_fail(x, rc, "making a password link");
		buf_addf(out, "%s\t%s\t/#/set-password/%s\t%lld\n", u.email, u.fullname, token,
		         (long long)exp);
		sodium_memzero(token, sizeof token);
		x->s->links++;
	}
	return 0;
}

int slack_import(struct store *st, struct slack_source *src, const struct slack_import_opts *opts,
                 struct slack_import_stats *stats, char *err, size_t errlen)
{
	struct imp x = {.st = st, .o = opts, .s = stats, .err = err, .errlen = errlen};
	struct buf links = {0};
	int rc, open = 0;
	memset(stats, 0, sizeof *stats);
	err[0] = 0;
	/* pass 1: check everything, count the messages */
	if ((rc = src->ops->users(src->impl, check_user, &x, err, errlen)) ||
	    (rc = src->ops->channels(src->impl, check_channel, &x, err, errlen)))
		goto out;
	for (size_t i = 0; i < x.nchans; i++)
		if ((rc = src->ops->messages(src->impl, x.chans[i].folder, count_message, &x, err, errlen)))
			goto out;
	if ((rc = target(&x)))
		goto out;
	/* pass 2: apply */
	if ((rc = store_call(st, begin))) {
		store_fail(&x, rc, "starting a transaction");
		goto out;
	}
	open = 1;
	if (x.new_ws) {
		struct workspace w = {0};
		snprintf(w.name, sizeof w.name, "Slack");
		w.created_at = opts->now_ms();
		if ((rc = store_call(st, workspace_insert, &w))) {
			store_fail(&x, rc, "creating the workspace");
			goto out;
		}
		x.ws = w.id;
		stats->workspace_created = 1;
	}
	stats->workspace_id = x.ws;
	if ((rc = src->ops->users(src->impl, apply_user, &x, err, errlen)) ||
	    (rc = src->ops->channels(src->impl, apply_channel, &x, err, errlen)))
		goto out;
	if (opts->show_progress)
		progress_begin(&x.prog, "import: messages", (uint64_t)stats->messages_total, "messages");
	for (x.cur = 0; x.cur < x.nchans; x.cur++) {
		if (!x.chans[x.cur].chat_id)
			continue;
		if ((rc = src->ops->messages(src->impl, x.chans[x.cur].folder, apply_message, &x, err,
		                             errlen)))
			goto out;
		if ((rc = touch_chan(&x))) {
			store_fail(&x, rc, "updating a chat");
			goto out;
		}
	}
	if (opts->show_progress)
		progress_end(&x.prog);
	if ((rc = make_links(&x, &links)))
		goto out;
	if ((rc = store_call(st, commit))) {
		store_fail(&x, rc, "committing");
		goto out;
	}
	open = 0;
	if (links.len && opts->links) {
		fwrite(links.p, 1, links.len, opts->links);
		fflush(opts->links);
	}
out:
	if (open)
		store_call(st, rollback);
	if (links.p)
		sodium_memzero(links.p, links.len);
	buf_free(&links);
	users_free(&x.users);
	for (size_t i = 0; i < x.nchans; i++) {
		free(x.chans[i].slack_id);
		free(x.chans[i].folder);
	}
	free(x.chans);
	return rc;
}
