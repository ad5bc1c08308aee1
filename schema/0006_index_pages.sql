-- 0006_index_pages: the word index messages_scoped writes leaf pages of
-- 4000 bytes instead of FTS5's default 1000 (issue 13). Chat-scoped tokens
-- make many short doclists; bigger leaves need fewer page headers and
-- term-index entries (about 2.5% less space at 100,000 messages), and one
-- leaf fills one 4 KiB database page. Existing segments keep their size
-- until FTS5 merges them or `fechatter reindex` rebuilds the index: nothing
-- is rewritten here.
INSERT INTO messages_scoped(messages_scoped, rank) VALUES ('pgsz', 4000);
