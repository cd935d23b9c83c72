package loomd.posix;

/** The errno values callers of this package test for (Linux numbering, all architectures). */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EMFILE = 24;
    public static final int ENOSPC = 28;
    public static final int EMLINK = 31;
    public static final int EPIPE = 32;
    public static final int EDEADLK = 35;
    public static final int ENOLCK = 37;
    public static final int ENOTSOCK = 88;
    public static final int ECONNRESET = 104;

    private Errno() {}
}
