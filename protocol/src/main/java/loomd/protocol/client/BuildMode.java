package loomd.protocol.client;

/** The mode field of {@code wopBuildPaths} (sent only to daemons with minor >= 15). */
public enum BuildMode {
    NORMAL(0),
    REPAIR(1),
    CHECK(2);

    private final int code;

    BuildMode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
