package loomd.posix;

import java.io.IOException;

/**
 * A failed system call: the call's name, the errno it set and the C library's text for it.
 * {@code detail} names the object the call worked on (a path, an fd) when that helps the reader.
 */
public final class PosixException extends IOException {
    private final String call;
    private final int errno;
    private final String errorText;

    public PosixException(String call, int errno, String detail) {
        String text = Libc.strerror(errno);
        String where = detail == null || detail.isEmpty() ? "" : " (" + detail + ")";
        super(call + where + ": " + text + " [errno " + errno + "]");
        this.call = call;
        this.errno = errno;
        this.errorText = text;
    }

    public PosixException(String call, int errno) {
        this(call, errno, null);
    }

    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }

    public String errorText() {
        return errorText;
    }

    /** The C library's text for {@code errno} and the number, as every message here ends. */
    public static String describe(int errno) {
        return Libc.strerror(errno) + " [errno " + errno + "]";
    }
}
