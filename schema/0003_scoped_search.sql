-- 0003_scoped_search: the word index becomes chat-scoped. messages_scoped
-- holds "k<chat>x<word>" tokens (written by the SQLite adapter in the same
-- transaction as the message, see adapters/fts5_index.c), so a search reads
-- only the caller's chats' postings. It replaces messages_fts, whose global
-- postings made a common word cost the same whoever searched. The trigram
-- index for Chinese and Japanese stays, fed by triggers as before. The
-- adapter fills messages_scoped right after this migration.

DROP TRIGGER messages_search_ai;
DROP TRIGGER messages_search_ad;
DROP TRIGGER messages_search_au;
DROP TABLE messages_fts;

CREATE VIRTUAL TABLE messages_scoped USING fts5(
  body, who, content = '', tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_cjk_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content
    WHERE new.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;

CREATE TRIGGER messages_cjk_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_cjk(messages_cjk, rowid, content) SELECT 'delete', old.id, old.content
    WHERE old.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;

CREATE TRIGGER messages_cjk_au AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_cjk(messages_cjk, rowid, content) SELECT 'delete', old.id, old.content
    WHERE old.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
  INSERT INTO messages_cjk(rowid, content) SELECT new.id, new.content
    WHERE new.content GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿]*';
END;
