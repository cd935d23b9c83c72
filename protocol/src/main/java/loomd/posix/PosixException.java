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
        super(message(call, errno, detail));
        this.call = call;
        this.errno = errno;
        this.errorText = Libc.strerror(errno);
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

    private static String message(String call, int errno, String detail) {
        String where = detail == null || detail.isEmpty() ? "" : " (" + detail + ")";
        return call + where + ": " + Libc.strerror(errno) + " [errno " + errno + "]";
    }
}
