-- 0001_init: the whole data model of the appliance. Times are integer
-- milliseconds since the epoch (UTC). Later migrations add columns.

CREATE TABLE workspaces (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  name_key    TEXT NOT NULL UNIQUE,             -- case-folded name (lib/utf8 utf8_fold)
  owner_id    INTEGER,                      -- users.id, set right after the owner is created
  created_at  INTEGER NOT NULL
);

CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  workspace_id   INTEGER NOT NULL REFERENCES workspaces(id),
  email          TEXT NOT NULL COLLATE NOCASE UNIQUE,
  fullname       TEXT NOT NULL,
  password_hash  TEXT NOT NULL,
  role           TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  status         TEXT NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Suspended')),
  token_version  INTEGER NOT NULL DEFAULT 0,  -- bumped to invalidate every access token
  title          TEXT NOT NULL DEFAULT '',
  department     TEXT NOT NULL DEFAULT '',
  avatar_url     TEXT NOT NULL DEFAULT '',
  bio            TEXT NOT NULL DEFAULT '',
  timezone       TEXT NOT NULL DEFAULT '',
  language       TEXT NOT NULL DEFAULT '',
  last_seen_at   INTEGER,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX users_workspace ON users(workspace_id, id);

CREATE TABLE invites (
  code          TEXT PRIMARY KEY,
  workspace_id  INTEGER NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  created_by    INTEGER NOT NULL REFERENCES users(id),
  max_uses      INTEGER NOT NULL CHECK (max_uses > 0),
  uses          INTEGER NOT NULL DEFAULT 0,
  expires_at    INTEGER NOT NULL,
  revoked_at    INTEGER,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX invites_workspace ON invites(workspace_id);

-- One row per issued refresh token; a family is one sign-in's chain of rotations.
CREATE TABLE refresh_tokens (
  id                   INTEGER PRIMARY KEY,
  user_id              INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family               TEXT NOT NULL,
  token_hash           TEXT NOT NULL UNIQUE,   -- SHA-256 hex of the token
  created_at           INTEGER NOT NULL,
  expires_at           INTEGER NOT NULL,       -- sliding: 14 days from issue
  family_expires_at    INTEGER NOT NULL,       -- absolute: 30 days from sign-in
  rotated_at           INTEGER,                -- set when exchanged for a successor
  revoked_at           INTEGER
);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family);

CREATE TABLE chats (
  id                INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: clients cache by id
  workspace_id      INTEGER NOT NULL REFERENCES workspaces(id),
  chat_type         TEXT NOT NULL CHECK (chat_type IN ('Single', 'Group', 'PrivateChannel', 'PublicChannel')),
  name              TEXT NOT NULL DEFAULT '',
  name_key          TEXT NOT NULL DEFAULT '',         -- case-folded name
  description       TEXT NOT NULL DEFAULT '',
  created_by        INTEGER NOT NULL REFERENCES users(id),
  single_key        TEXT,                     -- "lo:hi" user ids for Single chats: one per pair
  last_message_id   INTEGER,
  last_activity_at  INTEGER NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX chats_channel_name ON chats(workspace_id, name_key)
  WHERE chat_type IN ('PrivateChannel', 'PublicChannel');
CREATE UNIQUE INDEX chats_single ON chats(workspace_id, single_key) WHERE single_key IS NOT NULL;
CREATE INDEX chats_activity ON chats(workspace_id, last_activity_at);

CREATE TABLE chat_members (
  chat_id    INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id    INTEGER NOT NULL REFERENCES users(id),
  role       TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  joined_at  INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
CREATE INDEX chat_members_user ON chat_members(user_id, chat_id);

CREATE TABLE messages (
  id               INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: ids are cursors and read markers
  chat_id          INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  sender_id        INTEGER NOT NULL REFERENCES users(id),
  content          TEXT NOT NULL,             -- '' once deleted
  reply_to         INTEGER REFERENCES messages(id),
  reply_count      INTEGER NOT NULL DEFAULT 0,
  idempotency_key  TEXT,
  mentions_all     INTEGER NOT NULL DEFAULT 0, -- @here / @everyone
  created_at       INTEGER NOT NULL,
  edited_at        INTEGER,
  deleted_at       INTEGER
);
CREATE INDEX messages_chat ON messages(chat_id, id);
CREATE INDEX messages_reply ON messages(reply_to, id) WHERE reply_to IS NOT NULL;
CREATE UNIQUE INDEX messages_idempotency ON messages(sender_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE mentions (
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  chat_id     INTEGER NOT NULL,
  PRIMARY KEY (message_id, user_id)
) WITHOUT ROWID;
CREATE INDEX mentions_user ON mentions(user_id, chat_id, message_id);

CREATE TABLE reactions (
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  emoji       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;

CREATE TABLE files (
  id           INTEGER PRIMARY KEY,
  sha256       TEXT NOT NULL,
  ext          TEXT NOT NULL,
  mime_type    TEXT NOT NULL,
  size         INTEGER NOT NULL,
  uploader_id  INTEGER NOT NULL REFERENCES users(id),
  filename     TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  UNIQUE (sha256, uploader_id)
);
CREATE INDEX files_sha ON files(sha256);

CREATE TABLE message_files (
  message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  file_id     INTEGER NOT NULL REFERENCES files(id),
  PRIMARY KEY (message_id, file_id)
) WITHOUT ROWID;
CREATE INDEX message_files_file ON message_files(file_id);

CREATE TABLE read_markers (
  chat_id     INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  message_id  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, chat_id)
) WITHOUT ROWID;
