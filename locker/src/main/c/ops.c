/*
 * The requests (rules 3 to 6). Handlers run on the reader's thread and never wait for a lock: a
 * request that must wait moves to a thread of its own, blocked in F_OFD_SETLKW. Only the reader closes
 * the fds of held locks; a waiter touches only the fd it was given or opened itself.
 */
#include "locker.h"

#define WAITER_STACK (64 * 1024)

static pthread_attr_t waiter_attr;

static void on_cancel_signal(int sig) { (void)sig; }

void ops_init(void) {
    int err = pthread_attr_init(&waiter_attr);
    if (!err) err = pthread_attr_setdetachstate(&waiter_attr, PTHREAD_CREATE_DETACHED);
    size_t stack = WAITER_STACK < PTHREAD_STACK_MIN ? PTHREAD_STACK_MIN : WAITER_STACK;
    if (!err) err = pthread_attr_setstacksize(&waiter_attr, stack);
    if (err) { errno = err; die("pthread_attr for waiters"); }
    /* No SA_RESTART: the signal exists to end a waiter's F_OFD_SETLKW with EINTR (rule 6). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_cancel_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0) die("sigaction SIGUSR1");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    /* Blocked on the reader; waiters (which inherit this mask) unblock it once they can be signalled. */
    err = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (err) { errno = err; die("pthread_sigmask"); }
}

/* ---- fcntl locks ------------------------------------------------------------------------ */

static short lock_type(int mode) { return mode == MODE_EXCLUSIVE ? F_WRLCK : F_RDLCK; }

static int set_lock(int fd, int command, short type) {
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0 };
    return fcntl(fd, command, &fl);
}

/* 1: taken (or converted); 0: another holder conflicts; -1: failed, errno set. */
static int try_lock(int fd, int mode) {
    for (;;) {
        if (set_lock(fd, F_OFD_SETLK, lock_type(mode)) == 0) return 1;
        if (errno == EAGAIN || errno == EACCES) return 0;
        if (errno != EINTR) return -1;
    }
}

/* Blocks until the lock is taken; -1 with ECANCELED once the waiter is cancelled (rule 6). */
static int wait_lock(int fd, int mode, struct waiter *w) {
    for (;;) {
        if (table_is_cancelled(w)) { errno = ECANCELED; return -1; }
        if (set_lock(fd, F_OFD_SETLKW, lock_type(mode)) == 0) return 0;
        if (errno != EINTR) return -1;
    }
}

/* Busy, with the conflicting holder's pid: -1 for an OFD holder, 0 when unknown (rule 4). */
static void reply_busy_on(struct buf *out, uint64_t id, int fd, int mode) {
    struct flock fl = { .l_type = lock_type(mode), .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0 };
    int32_t holder = 0;
    if (fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) holder = fl.l_pid;
    reply_busy(out, id, holder);
}

static void reply_fd_errno(struct buf *out, uint64_t id, int err, const char *call, int fd) {
    char detail[32];
    snprintf(detail, sizeof detail, "fd %d", fd);
    reply_errno(out, id, err, call, detail);
}

static void reply_self_held(struct buf *out, uint64_t id, const char *what) {
    size_t size = strlen(what) + 64;
    char *message = xmalloc(size);
    snprintf(message, size, "deadlock: trying to re-acquire self-held lock `%s'", what);
    reply_failed(out, id, EDEADLK, message);
    free(message);
}

static struct file_id file_of(const struct stat *st) {
    return (struct file_id){ (uint64_t)st->st_dev, (uint64_t)st->st_ino };
}

/* ---- waiters (rule 5) ------------------------------------------------------------------- */

static void lock_path_loop(const struct lock_request *r, struct waiter *w, int fd, struct buf *out);
static void lock_fd_wait(struct waiter *w, struct buf *out);
static void relock_wait(struct waiter *w, struct buf *out);

static void free_waiter(struct waiter *w) {
    free(w->path);
    free(w);
}

static void *waiter_main(void *arg) {
    struct waiter *w = arg;
    struct buf out = { 0 };
    int cancelled = table_waiter_started(w);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    if (cancelled) {
        close(w->fd);
    } else if (w->op == OP_LOCK_PATH) {
        struct lock_request r = { w->request_id, w->owner, w->mode, WAIT_WAIT, w->flags, w->path };
        lock_path_loop(&r, w, w->fd, &out);
    } else if (w->op == OP_LOCK_FD) {
        lock_fd_wait(w, &out);
    } else {
        relock_wait(w, &out);
    }
    if (!table_finish_waiter(w) && out.len > 0) send_buf(&out);
    free(out.data);
    free_waiter(w);
    return NULL;
}

/* Hands the request to a thread of its own; w->fd belongs to that thread from now on. */
static void start_waiter(struct waiter *w, struct buf *out) {
    if (!table_add_waiter(w)) {
        reply_self_held(out, w->request_id, w->path ? w->path : "fd");
        close(w->fd);
        free_waiter(w);
        return;
    }
    pthread_t thread;
    int err = pthread_create(&thread, &waiter_attr, waiter_main, w);
    if (err) {
        table_finish_waiter(w);
        reply_errno(out, w->request_id, err, "pthread_create", "a thread for a waiting lock request");
        close(w->fd);
        free_waiter(w);
    }
}

static struct waiter *new_waiter(uint64_t request_id, uint64_t owner, int op, int mode, int fd) {
    struct waiter *w = xcalloc(1, sizeof *w);
    w->request_id = request_id;
    w->owner = owner;
    w->op = op;
    w->mode = mode;
    w->fd = fd;
    return w;
}

/* ---- lock by path ----------------------------------------------------------------------- */

static int open_lock_file(const struct lock_request *r, struct buf *out) {
    int flags = O_RDWR | O_CLOEXEC | ((r->flags & FLAG_NO_CREATE) ? 0 : O_CREAT);
    int fd;
    do fd = open(r->path, flags, 0600); while (fd < 0 && errno == EINTR);
    if (fd < 0) reply_errno(out, r->id, errno, "open", r->path);
    return fd;
}

/*
 * Upstream's open-lock-check loop. Without a waiter (the reader) it never blocks: a request that must
 * wait goes to a waiter with the open fd. With one (the waiter's thread) it starts from that fd and
 * blocks. Every outcome is a reply in out, except a cancelled waiter's (already answered).
 */
static void lock_path_loop(const struct lock_request *r, struct waiter *w, int fd, struct buf *out) {
    struct stat st;
    for (;;) {
        if (fd < 0) {
            if ((fd = open_lock_file(r, out)) < 0) return;
            if (fstat(fd, &st) < 0) { reply_fd_errno(out, r->id, errno, "fstat", fd); close(fd); return; }
            if (table_self_held(r->owner, file_of(&st), w)) { reply_self_held(out, r->id, r->path); close(fd); return; }
        }
        int got = try_lock(fd, r->mode);
        if (got < 0) { reply_fd_errno(out, r->id, errno, "fcntl(F_OFD_SETLK)", fd); close(fd); return; }
        if (!got && r->wait == WAIT_TRY) { reply_busy_on(out, r->id, fd, r->mode); close(fd); return; }
        if (!got && !w) {
            struct waiter *waiter = new_waiter(r->id, r->owner, OP_LOCK_PATH, r->mode, fd);
            waiter->flags = r->flags;
            waiter->path = xstrdup(r->path);
            waiter->file = file_of(&st);
            waiter->has_file = 1;
            start_waiter(waiter, out);
            return;
        }
        if (!got && wait_lock(fd, r->mode, w) < 0) {
            if (errno != ECANCELED) reply_fd_errno(out, r->id, errno, "fcntl(F_OFD_SETLKW)", fd);
            close(fd);
            return;
        }
        if (fstat(fd, &st) < 0) { reply_fd_errno(out, r->id, errno, "fstat", fd); close(fd); return; }
        if ((r->flags & FLAG_REOPEN_IF_STALE) && st.st_size != 0) {
            close(fd);   /* deleted by its last holder ("d" written): open the path again */
            fd = -1;
            continue;
        }
        char *path = xstrdup(r->path);
        uint64_t lock_id = table_add(r->owner, fd, path, file_of(&st), r->mode, w);
        if (!lock_id) { free(path); close(fd); return; }
        reply_locked(out, r->id, lock_id, st.st_size);
        return;
    }
}

void op_lock_path(const struct lock_request *r, struct buf *out) {
    lock_path_loop(r, NULL, -1, out);
}

/* ---- lock a passed fd ------------------------------------------------------------------- */

void op_lock_fd(const struct lock_request *r, int fd, struct buf *out) {
    struct stat st;
    if (fstat(fd, &st) < 0) { reply_fd_errno(out, r->id, errno, "fstat", fd); close(fd); return; }
    if (table_self_held(r->owner, file_of(&st), NULL)) { reply_self_held(out, r->id, "fd"); close(fd); return; }
    int got = try_lock(fd, r->mode);
    if (got < 0) { reply_fd_errno(out, r->id, errno, "fcntl(F_OFD_SETLK)", fd); close(fd); return; }
    if (got) {
        uint64_t lock_id = table_add(r->owner, fd, NULL, file_of(&st), r->mode, NULL);
        reply_locked(out, r->id, lock_id, st.st_size);
        return;
    }
    if (r->wait == WAIT_TRY) { reply_busy_on(out, r->id, fd, r->mode); close(fd); return; }
    struct waiter *w = new_waiter(r->id, r->owner, OP_LOCK_FD, r->mode, fd);
    w->file = file_of(&st);
    w->has_file = 1;
    start_waiter(w, out);
}

static void lock_fd_wait(struct waiter *w, struct buf *out) {
    struct stat st;
    if (wait_lock(w->fd, w->mode, w) < 0) {
        if (errno != ECANCELED) reply_fd_errno(out, w->request_id, errno, "fcntl(F_OFD_SETLKW)", w->fd);
        close(w->fd);
        return;
    }
    if (fstat(w->fd, &st) < 0) { reply_fd_errno(out, w->request_id, errno, "fstat", w->fd); close(w->fd); return; }
    uint64_t lock_id = table_add(w->owner, w->fd, NULL, w->file, w->mode, w);
    if (!lock_id) { close(w->fd); return; }
    reply_locked(out, w->request_id, lock_id, st.st_size);
}

/* ---- relock ----------------------------------------------------------------------------- */

static void reply_no_lock(struct buf *out, uint64_t id, uint64_t lock_id, int released_while_waiting) {
    char message[96];
    if (released_while_waiting)
        snprintf(message, sizeof message, "lock %llu was released while waiting", (unsigned long long)lock_id);
    else
        snprintf(message, sizeof message, "no lock %llu in the locker", (unsigned long long)lock_id);
    reply_failed(out, id, EBADF, message);
}

void op_relock(uint64_t id, uint64_t lock_id, int mode, int wait, struct buf *out) {
    int fd;
    uint64_t owner;
    if (!table_get(lock_id, &fd, NULL, &owner)) { reply_no_lock(out, id, lock_id, 0); return; }
    int got = try_lock(fd, mode);
    if (got < 0) { reply_fd_errno(out, id, errno, "fcntl(F_OFD_SETLK)", fd); return; }
    if (got) {
        struct stat st;
        table_change_mode(lock_id, mode, NULL);
        if (fstat(fd, &st) < 0) { reply_fd_errno(out, id, errno, "fstat", fd); return; }
        reply_locked(out, id, lock_id, st.st_size);
        return;
    }
    if (wait == WAIT_TRY) { reply_busy_on(out, id, fd, mode); return; }
    /* The waiter converts through its own fd to the same description: if the lock is released meanwhile,
     * the entry's fd number may be closed and reused, but the duplicate stays valid. */
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) { reply_fd_errno(out, id, errno, "dup", fd); return; }
    struct waiter *w = new_waiter(id, owner, OP_RELOCK, mode, copy);
    w->lock_id = lock_id;
    start_waiter(w, out);
}

static void relock_wait(struct waiter *w, struct buf *out) {
    struct stat st;
    if (wait_lock(w->fd, w->mode, w) < 0) {
        if (errno != ECANCELED) reply_fd_errno(out, w->request_id, errno, "fcntl(F_OFD_SETLKW)", w->fd);
    } else if (fstat(w->fd, &st) < 0) {
        reply_fd_errno(out, w->request_id, errno, "fstat", w->fd);
    } else if (table_change_mode(w->lock_id, w->mode, w)) {
        reply_locked(out, w->request_id, w->lock_id, st.st_size);
    } else if (!table_is_cancelled(w)) {
        reply_no_lock(out, w->request_id, w->lock_id, 1);
    } else {
        /* Cancelled after the kernel granted it: back to the mode the table still records. */
        int mode;
        if (table_get(w->lock_id, NULL, &mode, NULL)) try_lock(w->fd, mode);
    }
    close(w->fd);
}

/* ---- unlock, release-all, cancel, stats --------------------------------------------------- */

/* Upstream's deletion: unlink first, then mark the file stale for whoever opened it before, then close. */
static void release(struct lock *l, int delete) {
    if (delete && l->path) {
        unlink(l->path);   /* removing the file is an optimisation; the "d" mark is what matters */
        ssize_t n;
        do n = write(l->fd, "d", 1); while (n < 0 && errno == EINTR);
        if (n != 1) warn("cannot mark %s stale", l->path);
    }
    /* Explicit, because a relock waiter's duplicate may keep the description (and its lock) open. */
    if (set_lock(l->fd, F_OFD_SETLK, F_UNLCK) < 0) warn("unlock of %s", l->path ? l->path : "an fd");
    close(l->fd);
    free(l->path);
    free(l);
}

void op_unlock(uint64_t id, uint64_t lock_id, int delete, struct buf *out) {
    struct lock *l = table_remove(lock_id);
    if (l) release(l, delete);
    reply_done(out, id, l ? 1 : 0);
}

void op_release_all(uint64_t id, uint64_t owner, struct buf *out) {
    uint64_t *cancelled;
    size_t n = table_cancel_owner(owner, &cancelled);
    for (size_t i = 0; i < n; i++) reply_cancelled(out, cancelled[i]);
    free(cancelled);
    size_t count;
    uint64_t last_id;
    struct lock *l = table_remove_owner(owner, &count, &last_id);
    while (l) {
        struct lock *next = l->next;
        release(l, 0);
        l = next;
    }
    reply_released(out, id, count, last_id);
}

void op_cancel(uint64_t id, uint64_t target, struct buf *out) {
    int cancelled = table_cancel(target);
    if (cancelled) reply_cancelled(out, target);
    reply_done(out, id, (uint64_t)cancelled);
}

/* Entries of /proc/self/fd, not counting the one that lists them. */
static int32_t open_fd_count(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int32_t count = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) if (e->d_name[0] != '.') count++;
    closedir(dir);
    return count - 1;
}

void op_stats(uint64_t id, struct buf *out) {
    int32_t locks, waiting, owners;
    table_counts(&locks, &waiting, &owners);
    reply_stats(out, id, locks, waiting, owners, open_fd_count());
}
