/*
 * Shared between the locker's files: the wire codes, the reply writers, the lock table and the
 * waiters. The contract is at the top of locker.c; its rules are cited by number.
 */
#ifndef LOOMD_LOCKER_H
#define LOOMD_LOCKER_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

/* Wire codes (rule 2). Mirrored in loomd.locker.Wire, as are the flags, modes and MAX_FRAME;
 * LockerHeaderTest reads this file and fails when one side changes alone. */
enum { OP_LOCK_PATH = 1, OP_LOCK_FD = 2, OP_RELOCK = 3, OP_UNLOCK = 4, OP_RELEASE_ALL = 5, OP_CANCEL = 6, OP_STATS = 7 };
enum { ST_LOCKED = 1, ST_BUSY = 2, ST_FAILED = 3, ST_CANCELLED = 4, ST_DONE = 5, ST_STATS = 6, ST_RELEASED = 7 };
enum { FLAG_NO_CREATE = 1, FLAG_REOPEN_IF_STALE = 2 };
/* The ordinals of loomd.locker.LockMode and loomd.locker.Wait. */
enum { MODE_SHARED = 0, MODE_EXCLUSIVE = 1 };
enum { WAIT_WAIT = 0, WAIT_TRY = 1 };
#define MAX_FRAME (1u << 20)

/* ---- locker.c: fatal errors, memory, replies --------------------------------------------- */

/* Fatal (rule 9): the message with errno's text on stderr, exit 1; the kernel drops every lock. */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* A message on stderr that changes nothing (a failed "d" mark, say). */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

/* Replies are appended to a growable buffer: the reader's batch, or a waiter's own (rule 5). */
struct buf { uint8_t *data; size_t len, cap; };
void reply_locked(struct buf *b, uint64_t id, uint64_t lock_id, int64_t size);
void reply_busy(struct buf *b, uint64_t id, int32_t holder_pid);
/* Failed with a system call's error, worded as loomd.posix.PosixException: "call (detail): text [errno N]". */
void reply_errno(struct buf *b, uint64_t id, int err, const char *call, const char *detail);
void reply_failed(struct buf *b, uint64_t id, int err, const char *message);
void reply_cancelled(struct buf *b, uint64_t id);
void reply_done(struct buf *b, uint64_t id, uint64_t count);
void reply_released(struct buf *b, uint64_t id, uint64_t count, uint64_t last_lock_id);
void reply_stats(struct buf *b, uint64_t id, int32_t locks, int32_t waiting, int32_t owners, int32_t fds);
/* Sends the whole buffer to the daemon under the send lock, then empties it. */
void send_buf(struct buf *b);

/* ---- table.c: what the locker holds and who waits (rule 7) -------------------------------- */

struct file_id { uint64_t dev, ino; };

struct lock {
    uint64_t id, owner;
    int fd;
    char *path;               /* NULL for a lock taken on a passed fd */
    struct file_id file;
    int mode;
    struct lock *prev, *next; /* the owner's locks */
};

/* A request that waits on its own thread (rule 5). The table's fields change only under its mutex. */
struct waiter {
    uint64_t request_id, owner;
    struct file_id file;      /* what it waits for, when has_file: the owner may not ask for it again */
    int has_file;
    int cancelled;            /* flips once */
    int running;              /* its thread has started and may be signalled */
    pthread_t thread;
    /* The request, owned by the waiter's thread. */
    int op, mode, flags, fd;
    uint64_t lock_id;         /* OP_RELOCK */
    char *path;               /* OP_LOCK_PATH */
};

void table_init(void);
/* True if the owner holds or waits for the file (other than through self); else makes it self's target. */
int table_self_held(uint64_t owner, struct file_id file, struct waiter *self);
/* Records a lock (taking path); its id, or 0 if waiter w was cancelled meanwhile (nothing recorded). */
uint64_t table_add(uint64_t owner, int fd, char *path, struct file_id file, int mode, struct waiter *w);
/* A held lock's fd, mode and owner (each pointer may be NULL); 0 if there is no such lock. The fd is
 * only safe to use on the reader's thread, which alone closes held locks' fds. */
int table_get(uint64_t lock_id, int *fd, int *mode, uint64_t *owner);
/* Records a mode change; 0 if the lock is gone or waiter w was cancelled. */
int table_change_mode(uint64_t lock_id, int mode, struct waiter *w);
struct lock *table_remove(uint64_t lock_id);
/* Takes every lock of the owner, chained through next; *last_id is the highest lock id handed out so far. */
struct lock *table_remove_owner(uint64_t owner, size_t *count, uint64_t *last_id);
/* Registers a waiter; 0 (registering nothing) if the owner already holds or waits for its file. */
int table_add_waiter(struct waiter *w);
/* Called first on the waiter's thread: from now on a cancel signals it. Returns whether it is cancelled. */
int table_waiter_started(struct waiter *w);
/* Forgets a waiter whose work is done; returns whether it was cancelled (its request is answered). */
int table_finish_waiter(struct waiter *w);
int table_is_cancelled(struct waiter *w);
/* Cancels one waiting request; 1 if it was waiting. */
int table_cancel(uint64_t request_id);
/* Cancels every waiting request of the owner; their ids in *ids (to free), the count returned. */
size_t table_cancel_owner(uint64_t owner, uint64_t **ids);
void table_counts(int32_t *locks, int32_t *waiting, int32_t *owners);

/* ---- ops.c: the requests (rules 3 to 6) --------------------------------------------------- */

struct lock_request { uint64_t id, owner; int mode, wait, flags; char *path; };

void ops_init(void);
void op_lock_path(const struct lock_request *r, struct buf *out);
void op_lock_fd(const struct lock_request *r, int fd, struct buf *out);
void op_relock(uint64_t id, uint64_t lock_id, int mode, int wait, struct buf *out);
void op_unlock(uint64_t id, uint64_t lock_id, int delete, struct buf *out);
void op_release_all(uint64_t id, uint64_t owner, struct buf *out);
void op_cancel(uint64_t id, uint64_t target, struct buf *out);
void op_stats(uint64_t id, struct buf *out);

#endif
