/* core/slack_import: `fechatter import --slack`: a Slack export (read
 * through ports/slack_source) applied to the store, incrementally and
 * idempotently: every user, channel and message brought in is recorded in
 * the store's import map (kind, Slack id) in the same transaction as the row
 * it became, and skipped when met again, so running the same import twice
 * adds nothing the second time, and a run that stopped half-way is finished
 * by the next.
 *
 * What becomes what:
 *  - users: accounts without a password (they cannot sign in until they set
 *    one through a single-use link, printed by the import); the email from
 *    profile.email, or <slack id>@slack-import.invalid when absent, invalid
 *    or taken by another imported user; an email of an existing account of
 *    the workspace maps to that account (nothing created). Slack owners and
 *    admins become admins; deleted users and bots become Suspended
 *    accounts (no link). Bots without a user (bot_message) become one
 *    Suspended account per bot id.
 *  - public channels, private channels, group DMs and DMs become
 *    PublicChannel, PrivateChannel, Group and Single chats with their
 *    members (the creator as owner); a channel name taken by a chat the
 *    import did not make gets "-2", "-3"... (the first free one).
 *  - messages keep author and time (ts); thread replies (thread_ts) become
 *    replies of their root (a reply whose root is not in the export becomes
 *    a plain message); reactions carry over (common Slack names as Unicode
 *    emoji, others as :name:); edits keep the edit time; tombstones become
 *    deleted messages; channel_join/leave/topic/... system messages are
 *    skipped (counted); files become Markdown links to Slack (no download).
 *    Text: <@U1> -> @Full Name (a mention), <#C1|name> -> #name,
 *    <!here>/<!channel>/<!everyone> -> @here/@channel/@everyone,
 *    <url|label> -> [label](url), <url> -> url, &amp; &lt; &gt; decoded.
 *  - a message whose author is not in users.json is skipped (counted, a
 *    warning); so is one with no text and no file.
 *  - members' read markers are moved to the end of what was imported.
 *
 * A malformed export is found before anything is written: the whole export
 * is read once to check it (and count the messages for the progress line),
 * then read again to apply it in transactions of opts->batch messages. */
#ifndef FE_SLACK_IMPORT_H
#define FE_SLACK_IMPORT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/buf.h"
#include "ports/slack_source.h"
#include "ports/store.h"

struct slack_import_opts {
	int64_t workspace_id; /* 0: the only one, or a new one on an empty appliance */
	int64_t link_ttl_ms;  /* lifetime of the password-set links */
	int64_t (*now_ms)(void);
	FILE *links;       /* one line per link: email, name, path, expiry (tab-separated) */
	int batch;         /* messages per transaction (>= 1) */
	int show_progress; /* a progress line on stderr */
};

struct slack_import_stats {
	int64_t workspace_id;
	int workspace_created;
	int64_t owner_id; /* the new workspace's owner, 0 when none was made */
	int64_t users_new, users_mapped, users_merged, bots;
	int64_t chats_new, chats_mapped, chats_skipped;
	int64_t messages_total; /* in the export */
	int64_t messages_new, messages_mapped, replies, orphan_replies, edited, deleted;
	int64_t reactions, reactions_skipped, mentions, file_links, truncated;
	int64_t skipped_system, skipped_unknown_author, skipped_empty;
	int64_t links;
};

/* Imports the export src into st (opened by the caller, nobody else
 * writing). Returns 0; SLACK_EINPUT for a malformed export or a wrong
 * target (err says what: the file and the fault, or "several workspaces:
 * choose one with --workspace"), nothing written then; a negative FE_E*
 * store code (err says where), the transactions committed so far kept (a
 * re-run goes on from there). The links are printed only once their
 * accounts' transaction committed. */
int slack_import(struct store *st, struct slack_source *src, const struct slack_import_opts *opts,
                 struct slack_import_stats *stats, char *err, size_t errlen);

/* The user lookup of slack_text: the display name and id of a Slack user
 * id, 0 when known, else -1. */
typedef int (*slack_user_lookup)(void *ctx, const char *slack_id, const char **name, int64_t *id);

/* Converts Slack's message markup in (see above) into our text, appended
 * to out; mentioned users' ids (not self) are added to ids (at most
 * max_ids, no duplicates, *nids counts) and *mentions_all is set for
 * @here/@channel/@everyone. Pure apart from lookup. */
void slack_text(const char *in, slack_user_lookup lookup, void *ctx, int64_t self, struct buf *out,
                int64_t *ids, size_t max_ids, size_t *nids, int *mentions_all);

/* Our emoji for a Slack reaction name ("+1", "thumbsup::skin-tone-2"):
 * Unicode for common names, else ":name:", into out (size >= 36). Returns
 * 0, or -1 when it would not fit the API's 32 bytes. */
int slack_emoji(const char *name, char *out, size_t size);

#endif
