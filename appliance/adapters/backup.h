/* adapters/backup: the data folder as one archive and back, and the check
 * of the uploaded files. An archive is a plain POSIX tar (readable with
 * `tar tvf`) holding, in this order:
 *   fechatter.db        an online copy of the database (sqlite_store_backup)
 *   jwt_ed25519.key     the token signing key, when there is one
 *   files/ab/abcd...    every file the copied database references
 *   manifest.json       format, versions, counts and the members' sha256
 * Files are content-addressed and never change once written (fs_blobs), so
 * taking the database first and then the files it names gives a consistent
 * archive while the server keeps writing. Nothing here includes sqlite3.h:
 * the database is reached through adapters/sqlite_store. */
#ifndef FE_BACKUP_H
#define FE_BACKUP_H
#include <stdio.h>

/* Exit codes of the commands: 0 done, 1 a runtime failure (I/O, disk full),
 * 2 bad usage or a bad archive. */
#define BACKUP_OK 0
#define BACKUP_EFAIL 1
#define BACKUP_EUSAGE 2

/* Writes the archive of the data folder data to out, through out.tmp and a
 * rename (the database copy goes through out.db.tmp, removed at the end);
 * safe beside a running server. Progress on stderr, a summary line on
 * stdout. On failure nothing of out.* stays behind. Returns BACKUP_OK,
 * BACKUP_EUSAGE (no database in data, out cannot be created) or
 * BACKUP_EFAIL, with a reason in err. */
int backup_write(const char *data, const char *out, char *err, size_t errlen);

/* Puts the archive in back into the data folder data (existing; the caller
 * holds its lock). Refuses (BACKUP_EUSAGE) a folder that holds data
 * (database, files/ or signing key) unless force, then moves that data
 * aside into data/before-restore-<UTC time>/. Everything is extracted into
 * data/restore.tmp and verified first (member names, each file's sha256
 * against its name, the manifest's sizes and hashes, PRAGMA
 * integrity_check, every referenced file present); only then swapped in.
 * A bad archive (not a tar, cut short, unexpected or unsafe member names,
 * links, hash mismatch, damaged database, newer schema) is BACKUP_EUSAGE
 * and leaves the folder as it was; I/O failures are BACKUP_EFAIL. */
int backup_restore(const char *in, const char *data, int force, char *err, size_t errlen);

/* Finishes a restore that was stopped while swapping (data/restore.swap
 * exists: verified data being moved in), and removes the leftovers of one
 * stopped before (data/restore.tmp). Call with the folder's lock held,
 * before using the folder. Returns 0 (nothing to do, or done; logged) or
 * -1 (logged). */
int backup_resume(const char *data);

/* Checks the uploaded files of data against the database at db: every
 * file the database references exists and its sha256 matches its name;
 * files nobody references are reported as information. One line per
 * problem and a summary line to out; progress on stderr. Returns 0 when
 * every referenced file is present and intact, -1 otherwise. */
int backup_check_files(const char *data, const char *db, FILE *out);

#endif
