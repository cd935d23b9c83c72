package loomd.locker;

import loomd.posix.LockKind;

/** SHARED is a read lock (many holders), EXCLUSIVE a write lock (one holder). */
public enum LockMode {
    SHARED,
    EXCLUSIVE;

    LockKind kind() {
        return this == SHARED ? LockKind.READ : LockKind.WRITE;
    }
}
