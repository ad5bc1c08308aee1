/* ports/slack_source: a Slack export (the .zip or its unpacked folder) read
 * as plain records, so that core/slack_import converts and stores them
 * without knowing zip, files or JSON (adapters/slack_export reads them).
 *
 * Records are borrowed: every string and array lives only during the
 * callback that receives it (copy what must outlive it). Strings are UTF-8,
 * "" when the export has no such field (never NULL).
 *
 * Errors. Each reading function returns 0, SLACK_EINPUT when the export is
 * malformed (err then names the file and what is wrong: not JSON, a missing
 * field, a field of the wrong type), a negative FE_E* code when a file
 * cannot be read (FE_EUNAVAIL), or the first non-zero value a callback
 * returned (reading stops there). */
#ifndef FE_SLACK_SOURCE_H
#define FE_SLACK_SOURCE_H
#include <stddef.h>
#include <stdint.h>

#define SLACK_EINPUT 1 /* a malformed export (positive: not an FE_E* code) */

struct slack_user {
	const char *id, *name, *real_name, *display_name, *email, *title, *tz;
	int deleted, is_bot, is_owner, is_primary_owner, is_admin;
};

enum slack_chat_kind { SLACK_PUBLIC, SLACK_PRIVATE, SLACK_MPIM, SLACK_DM };

struct slack_channel {
	enum slack_chat_kind kind;
	const char *id;
	const char *name;    /* the folder of its day files too ("" for a DM: its id is) */
	const char *purpose; /* purpose.value, else topic.value */
	const char *creator;
	int64_t created_ms;
	const char *const *members;
	size_t nmembers;
};

struct slack_reaction {
	const char *name; /* "thumbsup", "+1::skin-tone-2" */
	const char *const *users;
	size_t nusers;
};

struct slack_file {
	const char *name, *title, *url; /* url: url_private, else permalink; "" none */
};

struct slack_message {
	const char *file;      /* the day file it came from, for messages */
	int64_t ts_us;         /* its ts in microseconds since the epoch */
	const char *ts;        /* as written ("1700000000.000100"): with the channel, its identity */
	const char *thread_ts; /* "" none; == ts for a thread's root */
	const char *user, *bot_id, *username, *subtype, *text;
	int64_t edited_ms; /* edited.ts, 0 when never edited */
	const struct slack_reaction *reactions;
	size_t nreactions;
	const struct slack_file *files;
	size_t nfiles;
};

typedef int (*slack_user_cb)(void *ctx, const struct slack_user *u);
typedef int (*slack_channel_cb)(void *ctx, const struct slack_channel *c);
typedef int (*slack_message_cb)(void *ctx, const struct slack_message *m);

struct slack_source_ops {
	/* Every entry of users.json (required), in file order. */
	int (*users)(void *impl, slack_user_cb cb, void *ctx, char *err, size_t errlen);
	/* channels.json (required), then groups.json, mpims.json and dms.json
	 * when present, each in file order. */
	int (*channels)(void *impl, slack_channel_cb cb, void *ctx, char *err, size_t errlen);
	/* The messages of the channel whose day files are in folder (its name,
	 * or a DM's id): day files by date, and in each file by ts (a day file
	 * is parsed whole, one at a time: memory stays bounded by the largest
	 * day). A channel without a folder has no messages (0). */
	int (*messages)(void *impl, const char *folder, slack_message_cb cb, void *ctx, char *err,
	                size_t errlen);
	void (*close)(void *impl);
};

struct slack_source {
	const struct slack_source_ops *ops;
	void *impl;
};

#endif
