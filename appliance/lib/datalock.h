/* lib/datalock: one process at a time on a data folder. An exclusive
 * advisory lock (fcntl) on DIR/fechatter.lock, which holds the holder's pid;
 * the kernel drops it when the process ends, however it ends. */
#ifndef FE_DATALOCK_H
#define FE_DATALOCK_H
#include <sys/types.h>

/* Locks dir for this process. Returns the lock file's descriptor (keep it
 * open while the folder is in use; closing it releases the lock), or -1:
 * *holder is the pid of the process holding the lock (-1 when it is held
 * but its holder is unknown), or 0 when the lock file cannot be opened or
 * written (errno set). */
int datalock_acquire(const char *dir, pid_t *holder);

#endif
