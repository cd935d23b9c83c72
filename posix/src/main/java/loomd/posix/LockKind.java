package loomd.posix;

/** fcntl lock types: READ is shared (F_RDLCK), WRITE is exclusive (F_WRLCK). */
public enum LockKind {
    READ(0),
    WRITE(1);

    final short code;

    LockKind(int code) {
        this.code = (short) code;
    }

    static LockKind ofCode(short code) {
        return code == WRITE.code ? WRITE : READ;
    }
}
