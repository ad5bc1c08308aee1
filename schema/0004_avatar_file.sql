-- 0004_avatar_file: a profile picture is a file its owner uploaded, named by
-- id. users.avatar_file_id is what the file-read rule asks about ("is this
-- file the picture of a user of the reader's workspace", core/file.c);
-- users.avatar_url stays the address clients show (the file's url, written
-- by core from the file row, or an outside https:// address).
--
-- Pictures set before this migration were bare urls and could name anyone's
-- file (issue 9): one naming a file its user uploaded is kept and gets its
-- id; any other /api/files/ url is dropped. This one-off conversion of old
-- values is the only place SQL spells a file url.

ALTER TABLE users ADD COLUMN avatar_file_id INTEGER REFERENCES files(id);

UPDATE users SET avatar_file_id = (
  SELECT f.id FROM files f
   WHERE f.uploader_id = users.id AND users.avatar_url = '/api/files/' || f.sha256 || '.' || f.ext)
 WHERE avatar_url LIKE '/api/files/%';

UPDATE users SET avatar_url = '' WHERE avatar_url LIKE '/api/files/%' AND avatar_file_id IS NULL;

CREATE INDEX users_avatar_file ON users(avatar_file_id) WHERE avatar_file_id IS NOT NULL;
