/* http/handlers: the handler functions the route table points at. Each turns
 * JSON into plain structs, calls one use case and renders its result. */
#ifndef FE_HANDLERS_H
#define FE_HANDLERS_H
#include "http/http.h"

/* accounts (h_accounts.c) */
void h_signup(struct req *r);
void h_signin(struct req *r);
void h_set_password(struct req *r);
void h_refresh(struct req *r);
void h_logout(struct req *r);
void h_logout_all(struct req *r);
void h_change_password(struct req *r);
/* GET /api/setup: {needs_owner, registration} (h_setup.c) */
void h_setup(struct req *r);

/* users and workspace (h_workspace.c) */
void h_me(struct req *r);
void h_users(struct req *r);
void h_user_profile(struct req *r);
void h_update_profile(struct req *r);
void h_workspace_get(struct req *r);
void h_workspace_patch(struct req *r);
void h_invite_create(struct req *r);
void h_invites(struct req *r);
void h_invite_revoke(struct req *r);
void h_workspace_user_patch(struct req *r);
void h_cache_stats(struct req *r);

/* chats and members (h_chats.c) */
void h_chats_list(struct req *r);
void h_chat_create(struct req *r);
void h_chats_public(struct req *r);
void h_chat_get(struct req *r);
void h_chat_patch(struct req *r);
void h_chat_delete(struct req *r);
void h_chat_join(struct req *r);
void h_chat_leave(struct req *r);
void h_chat_members(struct req *r);
void h_chat_members_add(struct req *r);
void h_chat_member_remove(struct req *r);
void h_chat_member_patch(struct req *r);

/* messages (h_messages.c) */
void h_messages_list(struct req *r);
void h_message_send(struct req *r);
void h_message_edit(struct req *r);
void h_message_delete(struct req *r);
void h_replies(struct req *r);
void h_reaction_add(struct req *r);
void h_reaction_remove(struct req *r);
void h_mark_read(struct req *r);
void h_unread_counts(struct req *r);

/* files (h_files.c) */
/* POST /api/files/single: an upload route, so it runs when the head arrives
 * and answers once the body is complete (http/upload.c). */
void h_file_upload(struct req *r);
void h_file_get(struct req *r);
/* GET /api/files/download/{name}: the original's download links (core/file's
 * file_open_download), always as an attachment. */
void h_file_download(struct req *r);

/* search (h_search.c) */
void h_search(struct req *r);
void h_chat_search(struct req *r);

/* real-time (h_realtime.c) */
void h_events(struct req *r);
void h_typing_start(struct req *r);
void h_typing_stop(struct req *r);
void h_typing_users(struct req *r);
void h_presence_set(struct req *r);
void h_online_users(struct req *r);
/* GET /ws without an upgrade: 426 (the WebSocket itself is http/ws). */
void h_ws(struct req *r);
/* POST /api/realtime/ping {connection_id}: queues {"type":"pong"} on that
 * connection of the caller (an in-band marker, e.g. for an SSE stream). */
void h_realtime_ping(struct req *r);

/* operations and assets (h_ops.c) */
void h_health(struct req *r);
void h_readiness(struct req *r);
void h_metrics(struct req *r);
void h_static(struct req *r);

#endif
