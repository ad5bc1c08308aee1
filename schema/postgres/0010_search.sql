-- 0010_search: full-text search on PostgreSQL (adapters/pg_search.c).
-- Words are folded for case and accents as the FTS5 adapter folds them: the
-- configuration fe_search is simple (lower case, no stemming, no stop words)
-- with unaccent in front for the word classes that can carry accents. The
-- searched document is the content (weight A) and the sender's name at send
-- time (weight B: ts_rank's 1.0 and 0.4, the FTS5 adapter's bm25 weights),
-- indexed by expression, so nothing is written at send time. Words of
-- scripts written without spaces (Chinese, Japanese, Thai, ...) are found
-- as substrings of the content through the trigram index.
--
-- unaccent and pg_trgm are PostgreSQL's contrib extensions (Debian's
-- postgresql-15 has them); both are trusted, so the database owner may
-- create them (no superuser needed).

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TEXT SEARCH CONFIGURATION fe_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION fe_search
  ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple;

CREATE FUNCTION fe_search_doc(content text, sender_name text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN setweight(to_tsvector('fe_search'::regconfig, coalesce(content, '')), 'A')
      || setweight(to_tsvector('fe_search'::regconfig, coalesce(sender_name, '')), 'B');

CREATE INDEX messages_search ON messages USING gin (fe_search_doc(content, sender_name));
CREATE INDEX messages_substring ON messages USING gin (content gin_trgm_ops);
