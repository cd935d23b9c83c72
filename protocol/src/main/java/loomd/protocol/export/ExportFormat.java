package loomd.protocol.export;

/** Constants of the export stream (formats.md §5). */
public final class ExportFormat {
    /** The {@code int} after each item's NAR: "NIXE". */
    public static final long EXPORT_MAGIC = 0x4558494eL;
    /** The u64 bundle marker before each item. */
    public static final long MARKER_ITEM = 1;
    /** The u64 bundle marker after the last item. */
    public static final long MARKER_END = 0;

    static final String BAD_MARKER = "input doesn't look like something created by `nix-store --export'";
    static final String BAD_MAGIC = "normalized archive cannot be imported; wrong format";

    private ExportFormat() {}
}
