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

-- Hebrew points and cantillation, Arabic vowel and Quranic marks: optional
-- in writing, so a word is found with or without them. unaccent leaves them,
-- so a Hebrew or Arabic word is matched as a substring of the content with
-- them left out on both sides (adapters/pg_search.c optional_mark() holds
-- the same list).
CREATE FUNCTION fe_strip_marks(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN regexp_replace(t, '[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E4\u06E7\u06E8\u06EA-\u06ED]', '', 'g');
