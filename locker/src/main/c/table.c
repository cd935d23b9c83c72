/*
 * The lock table (rule 7): every held lock by id, by (owner, file) and by owner, and every waiting
 * request by id and by (owner, file). One mutex guards all of it; the only system call made under it
 * is the signal that interrupts a cancelled waiter (rule 6), which never blocks.
 */
#include "locker.h"

/* ---- an open-addressing hash map from up to three 64-bit words to a pointer ---------------- */

struct key { uint64_t a, b, c; };
struct slot { struct key key; void *value; };   /* value NULL: empty */
struct map { struct slot *slots; size_t cap, count; };

#define MIN_SLOTS 64

static uint64_t mix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static size_t slot_of(const struct map *m, struct key k) {
    return (size_t)mix(k.a ^ mix(k.b ^ mix(k.c))) & (m->cap - 1);
}

static int same(struct key x, struct key y) { return x.a == y.a && x.b == y.b && x.c == y.c; }

static void map_resize(struct map *m, size_t cap) {
    struct slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = xcalloc(cap, sizeof *m->slots);
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].value) continue;
        size_t j = slot_of(m, old[i].key);
        while (m->slots[j].value) j = (j + 1) & (cap - 1);
        m->slots[j] = old[i];
    }
    free(old);
}

static void *map_get(const struct map *m, struct key k) {
    for (size_t i = slot_of(m, k);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].value) return NULL;
        if (same(m->slots[i].key, k)) return m->slots[i].value;
    }
}

/* Half full at most, so probes stay short and always end. A key may map to several values (rule 4 keeps
 * (owner, file) unique, but a race between a waiter re-opening a stale file and a new request of the same
 * owner could add a second one): each is removed by its value. */
static void map_put(struct map *m, struct key k, void *value) {
    if ((m->count + 1) * 2 > m->cap) map_resize(m, m->cap * 2);
    size_t i = slot_of(m, k);
    while (m->slots[i].value) i = (i + 1) & (m->cap - 1);
    m->slots[i] = (struct slot){ k, value };
    m->count++;
}

/* Removes k if it maps to value (any value when value is NULL); returns what was removed. */
static void *map_remove(struct map *m, struct key k, const void *value) {
    size_t mask = m->cap - 1, i = slot_of(m, k);
    while (m->slots[i].value && !(same(m->slots[i].key, k) && (!value || m->slots[i].value == value)))
        i = (i + 1) & mask;
    void *found = m->slots[i].value;
    if (!found) return NULL;
    /* Backward shift: move up every later entry of the run that may live in the hole. */
    for (size_t j = (i + 1) & mask; m->slots[j].value; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->slots[j].key);
        int stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (stays) continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i].value = NULL;
    m->count--;
    if (m->cap > MIN_SLOTS && m->count * 8 < m->cap) map_resize(m, m->cap / 2);
    return found;
}

static void map_init(struct map *m) {
    m->slots = xcalloc(MIN_SLOTS, sizeof *m->slots);
    m->cap = MIN_SLOTS;
    m->count = 0;
}

/* ---- the table -------------------------------------------------------------------------- */

struct owner { uint64_t id; struct lock *first, *last; };

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static struct map locks;          /* lock id -> lock */
static struct map files;          /* (owner, dev, ino) -> lock */
static struct map owners;         /* owner id -> owner, while it holds a lock */
static struct map waiters;        /* request id -> waiter */
static struct map waited_files;   /* (owner, dev, ino) -> waiter */
static uint64_t next_lock_id = 1;

static struct key id_key(uint64_t id) { return (struct key){ id, 0, 0 }; }
static struct key file_key(uint64_t owner, struct file_id f) { return (struct key){ owner, f.dev, f.ino }; }

void table_init(void) {
    map_init(&locks);
    map_init(&files);
    map_init(&owners);
    map_init(&waiters);
    map_init(&waited_files);
}

static void lock_table(void) {
    int err = pthread_mutex_lock(&mutex);
    if (err) { errno = err; die("pthread_mutex_lock"); }
}

static void unlock_table(void) {
    int err = pthread_mutex_unlock(&mutex);
    if (err) { errno = err; die("pthread_mutex_unlock"); }
}

/* Under the mutex. */
static int held_elsewhere(uint64_t owner, struct file_id f, const struct waiter *self) {
    struct key k = file_key(owner, f);
    void *w = map_get(&waited_files, k);
    return map_get(&files, k) || (w && w != self);
}

/* Under the mutex: the waiter leaves both waiter maps. */
static void forget_waiter(struct waiter *w) {
    map_remove(&waiters, id_key(w->request_id), w);
    if (w->has_file) map_remove(&waited_files, file_key(w->owner, w->file), w);
}

int table_self_held(uint64_t owner, struct file_id file, struct waiter *self) {
    lock_table();
    int held = held_elsewhere(owner, file, self);
    if (!held && self && map_get(&waiters, id_key(self->request_id)) == self) {
        if (self->has_file) map_remove(&waited_files, file_key(owner, self->file), self);
        self->file = file;
        self->has_file = 1;
        map_put(&waited_files, file_key(owner, file), self);
    }
    unlock_table();
    return held;
}

uint64_t table_add(uint64_t owner, int fd, char *path, struct file_id file, int mode, struct waiter *w) {
    lock_table();
    if (w && w->cancelled) {
        unlock_table();
        return 0;
    }
    if (w) forget_waiter(w);
    struct lock *l = xcalloc(1, sizeof *l);
    *l = (struct lock){ next_lock_id++, owner, fd, path, file, mode, NULL, NULL };
    map_put(&locks, id_key(l->id), l);
    map_put(&files, file_key(owner, file), l);
    struct owner *o = map_get(&owners, id_key(owner));
    if (!o) {
        o = xcalloc(1, sizeof *o);
        o->id = owner;
        map_put(&owners, id_key(owner), o);
    }
    l->prev = o->last;
    if (o->last) o->last->next = l; else o->first = l;
    o->last = l;
    uint64_t id = l->id;
    unlock_table();
    return id;
}

int table_get(uint64_t lock_id, int *fd, int *mode, uint64_t *owner) {
    lock_table();
    struct lock *l = map_get(&locks, id_key(lock_id));
    if (l) {
        if (fd) *fd = l->fd;
        if (mode) *mode = l->mode;
        if (owner) *owner = l->owner;
    }
    unlock_table();
    return l != NULL;
}

int table_change_mode(uint64_t lock_id, int mode, struct waiter *w) {
    lock_table();
    int changed = 0;
    if (!w || !w->cancelled) {
        if (w) forget_waiter(w);
        struct lock *l = map_get(&locks, id_key(lock_id));
        if (l) {
            l->mode = mode;
            changed = 1;
        }
    }
    unlock_table();
    return changed;
}

/* Under the mutex: unlinks l from the id and file maps and from its owner's list. */
static void detach(struct lock *l, struct owner *o) {
    map_remove(&locks, id_key(l->id), l);
    map_remove(&files, file_key(l->owner, l->file), l);
    if (l->prev) l->prev->next = l->next; else o->first = l->next;
    if (l->next) l->next->prev = l->prev; else o->last = l->prev;
    l->prev = l->next = NULL;
}

struct lock *table_remove(uint64_t lock_id) {
    lock_table();
    struct lock *l = map_get(&locks, id_key(lock_id));
    if (l) {
        struct owner *o = map_get(&owners, id_key(l->owner));
        detach(l, o);
        if (!o->first) free(map_remove(&owners, id_key(o->id), o));
    }
    unlock_table();
    return l;
}

struct lock *table_remove_owner(uint64_t owner, size_t *count, uint64_t *last_id) {
    lock_table();
    struct owner *o = map_remove(&owners, id_key(owner), NULL);
    struct lock *taken = o ? o->first : NULL;
    *count = 0;
    for (struct lock *l = taken; l; l = l->next) {
        map_remove(&locks, id_key(l->id), l);
        map_remove(&files, file_key(l->owner, l->file), l);
        (*count)++;
    }
    *last_id = next_lock_id - 1;
    unlock_table();
    free(o);
    return taken;
}

int table_add_waiter(struct waiter *w) {
    lock_table();
    int ok = !(w->has_file && held_elsewhere(w->owner, w->file, w));
    if (ok) {
        map_put(&waiters, id_key(w->request_id), w);
        if (w->has_file) map_put(&waited_files, file_key(w->owner, w->file), w);
    }
    unlock_table();
    return ok;
}

int table_waiter_started(struct waiter *w) {
    lock_table();
    w->thread = pthread_self();
    w->running = 1;
    int cancelled = w->cancelled;
    unlock_table();
    return cancelled;
}

int table_finish_waiter(struct waiter *w) {
    lock_table();
    forget_waiter(w);
    w->running = 0;
    int cancelled = w->cancelled;
    unlock_table();
    return cancelled;
}

int table_is_cancelled(struct waiter *w) {
    lock_table();
    int cancelled = w->cancelled;
    unlock_table();
    return cancelled;
}

/*
 * Under the mutex. The signal interrupts the waiter's F_OFD_SETLKW (rule 6). Its thread is alive: it
 * signs off under this mutex (table_finish_waiter) before it ends, and a waiter is cancelled only while
 * it is registered, which it stops being by signing off or by taking its lock.
 */
static void cancel_waiter(struct waiter *w) {
    forget_waiter(w);
    w->cancelled = 1;
    if (w->running) {
        int err = pthread_kill(w->thread, SIGUSR1);
        if (err) { errno = err; die("pthread_kill (waiter of request %llu)", (unsigned long long)w->request_id); }
    }
}

int table_cancel(uint64_t request_id) {
    lock_table();
    struct waiter *w = map_get(&waiters, id_key(request_id));
    if (w) cancel_waiter(w);
    unlock_table();
    return w != NULL;
}

size_t table_cancel_owner(uint64_t owner, uint64_t **ids) {
    lock_table();
    size_t n = 0;
    struct waiter **found = xcalloc(waiters.count, sizeof *found);
    for (size_t i = 0; i < waiters.cap; i++) {
        struct waiter *w = waiters.slots[i].value;
        if (w && w->owner == owner) found[n++] = w;
    }
    *ids = xcalloc(n, sizeof **ids);
    for (size_t i = 0; i < n; i++) {
        (*ids)[i] = found[i]->request_id;
        cancel_waiter(found[i]);
    }
    unlock_table();
    free(found);
    return n;
}

void table_counts(int32_t *held, int32_t *waiting, int32_t *holders) {
    lock_table();
    *held = (int32_t)locks.count;
    *waiting = (int32_t)waiters.count;
    *holders = (int32_t)owners.count;
    unlock_table();
}
