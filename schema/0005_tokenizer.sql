-- 0005_tokenizer: every script is indexed (issue 13). Words are now cut by
-- adapters/fts5_tokenize (FTS5's unicode61 through fts5_api, keeping
-- combining marks inside words, folding Arabic vowel marks away, bigrams for
-- Chinese, Japanese, Thai, Lao, Khmer and Myanmar), and written to
-- messages_scoped as space-separated "k<chat>x<token>" tokens. The table's
-- own tokenizer becomes "ascii", which splits those tokens at the spaces and
-- changes nothing else (its non-ASCII bytes are all token characters, and
-- the tokens' only ASCII bytes are lower-case letters and digits): with
-- unicode61 the marks the tokens now hold would cut them again.
--
-- The bigrams cover what the trigram index messages_cjk did, for every
-- chat-scoped search, so it goes with its triggers. The adapter refills
-- messages_scoped from the messages right after this migration
-- (adapters/sqlite_store.c migrate()).

DROP TRIGGER messages_cjk_ai;
DROP TRIGGER messages_cjk_ad;
DROP TRIGGER messages_cjk_au;
DROP TABLE messages_cjk;
DROP VIEW messages_cjk_src;
DROP TABLE messages_scoped;

CREATE VIRTUAL TABLE messages_scoped USING fts5(
  body, who, content = '', tokenize = 'ascii'
);
