-- 0002_search: full-text search kept in the same transactions as the
-- messages (triggers). messages_fts: words of the content and the sender's
-- name (unicode61, case and accent folding), plus a chat token ("c<id>") so
-- a query is restricted to the caller's chats inside FTS5 itself.
-- messages_cjk: a trigram index of the messages written in Chinese or
-- Japanese (scripts without spaces), fed only with those messages.

ALTER TABLE messages ADD COLUMN sender_name TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN chat_tok TEXT GENERATED ALWAYS AS ('c' || chat_id) VIRTUAL;

UPDATE messages SET sender_name = coalesce((SELECT fullname FROM users u WHERE u.id = messages.sender_id), '')
  WHERE deleted_at IS NULL;

CREATE VIRTUAL TABLE messages_fts USING fts5(
  content, sender_name, chat_tok,
  content = 'messages', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE VIEW messages_cjk_src AS
  SELECT id, content FROM messages WHERE content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';

CREATE VIRTUAL TABLE messages_cjk USING fts5(
  content, content = 'messages_cjk_src', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER messages_search_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, content, sender_name, chat_tok)
    VALUES (new.id, new.content, new.sender_name, new.chat_tok);
  INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content
    WHERE new.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;

CREATE TRIGGER messages_search_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content, sender_name, chat_tok)
    VALUES ('delete', old.id, old.content, old.sender_name, old.chat_tok);
  INSERT INTO messages_cjk(messages_cjk, rowid, content) SELECT 'delete', old.id, old.content
    WHERE old.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;

CREATE TRIGGER messages_search_au AFTER UPDATE OF content, sender_name ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, content, sender_name, chat_tok)
    VALUES ('delete', old.id, old.content, old.sender_name, old.chat_tok);
  INSERT INTO messages_cjk(messages_cjk, rowid, content) SELECT 'delete', old.id, old.content
    WHERE old.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
  INSERT INTO messages_fts(rowid, content, sender_name, chat_tok)
    VALUES (new.id, new.content, new.sender_name, new.chat_tok);
  INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content
    WHERE new.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;

INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
INSERT INTO messages_cjk(messages_cjk) VALUES ('rebuild');
