package loomd.protocol.wire;

/** The stderr-channel frame codes (protocol.md §5). */
public final class StderrCode {
    public static final long NEXT = 0x6f6c6d67L;
    public static final long READ = 0x64617461L;
    public static final long WRITE = 0x64617416L;
    public static final long LAST = 0x616c7473L;
    public static final long ERROR = 0x63787470L;

    /** Status of a generic failure. */
    public static final int STATUS_FAILURE = 1;
    /** Status of a permanent build failure. */
    public static final int STATUS_BUILD_FAILED = 100;
    /** Status of a build that timed out. */
    public static final int STATUS_TIMED_OUT = 101;

    private StderrCode() {
    }
}
