package loomd.locker;

/** WAIT queues behind current holders; TRY answers at once, with {@link PathLock.Busy} if the lock is taken. */
public enum Wait {
    WAIT,
    TRY
}
