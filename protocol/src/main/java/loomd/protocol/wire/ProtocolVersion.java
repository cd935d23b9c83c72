package loomd.protocol.wire;

/** Handshake constants and version arithmetic (protocol.md §3). */
public final class ProtocolVersion {
    public static final long WORKER_MAGIC_1 = 0x6e697863L;
    public static final long WORKER_MAGIC_2 = 0x6478696fL;
    public static final int PROTOCOL_VERSION = 0x164;

    private ProtocolVersion() {
    }

    public static int major(long version) {
        return (int) (version & 0xff00);
    }

    public static int minor(long version) {
        return (int) (version & 0x00ff);
    }
}
