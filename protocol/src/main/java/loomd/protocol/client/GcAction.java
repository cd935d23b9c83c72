package loomd.protocol.client;

/** The action field of {@code wopCollectGarbage} (protocol.md §6.20). */
public enum GcAction {
    RETURN_LIVE(0),
    RETURN_DEAD(1),
    DELETE_DEAD(2),
    DELETE_SPECIFIC(3);

    private final int code;

    GcAction(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
