-- 0006_slack_import: what `fechatter import --slack` needs (issue 16).
--
-- import_map remembers, for each record an import brought in, the id it got
-- here, so that running the same import again adds nothing twice: kind says
-- what the key names ('slack.user' Slack user id, 'slack.bot' bot id,
-- 'slack.channel' channel id, 'slack.message' "<channel id>/<ts>"), id is
-- the users.id, chats.id or messages.id it became. Rows are written in the
-- same transaction as what they map.
CREATE TABLE IF NOT EXISTS import_map (
  kind  TEXT NOT NULL,
  key   TEXT NOT NULL,
  id    INTEGER NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;

-- Single-use links to set a password (accounts made without one, such as
-- imported ones): only the SHA-256 (hex) of the token is kept; used_at is
-- set once it was used, and a token past expires_at is refused.
CREATE TABLE IF NOT EXISTS password_tokens (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token_hash  TEXT NOT NULL UNIQUE,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE INDEX IF NOT EXISTS password_tokens_user ON password_tokens(user_id);
