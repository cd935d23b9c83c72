package loomd.protocol.wire;

import java.util.Optional;

/** The worker operations of protocol 0x164 (protocol.md §6.0) with their wire codes. */
public enum WorkerOp {
    IS_VALID_PATH(1),
    HAS_SUBSTITUTES(3),
    QUERY_PATH_HASH(4),
    QUERY_REFERENCES(5),
    QUERY_REFERRERS(6),
    ADD_TO_STORE(7),
    ADD_TEXT_TO_STORE(8),
    BUILD_PATHS(9),
    ENSURE_PATH(10),
    ADD_TEMP_ROOT(11),
    ADD_INDIRECT_ROOT(12),
    SYNC_WITH_GC(13),
    FIND_ROOTS(14),
    EXPORT_PATH(16),
    QUERY_DERIVER(18),
    SET_OPTIONS(19),
    COLLECT_GARBAGE(20),
    QUERY_SUBSTITUTABLE_PATH_INFO(21),
    QUERY_DERIVATION_OUTPUTS(22),
    QUERY_ALL_VALID_PATHS(23),
    QUERY_FAILED_PATHS(24),
    CLEAR_FAILED_PATHS(25),
    QUERY_PATH_INFO(26),
    IMPORT_PATHS(27),
    QUERY_DERIVATION_OUTPUT_NAMES(28),
    QUERY_PATH_FROM_HASH_PART(29),
    QUERY_SUBSTITUTABLE_PATH_INFOS(30),
    QUERY_VALID_PATHS(31),
    QUERY_SUBSTITUTABLE_PATHS(32),
    QUERY_VALID_DERIVERS(33),
    OPTIMISE_STORE(34),
    VERIFY_STORE(35),
    BUILTIN_BUILDERS(80),
    SUBSTITUTE_URLS(81);

    private static final WorkerOp[] BY_CODE = new WorkerOp[82];

    static {
        for (WorkerOp op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    WorkerOp(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** Upstream's name, e.g. {@code wopIsValidPath}. */
    public String wireName() {
        StringBuilder name = new StringBuilder("wop");
        for (String word : name().split("_")) {
            name.append(word.charAt(0)).append(word.substring(1).toLowerCase());
        }
        return name.toString();
    }

    /** The op for a code; empty for 0, 2, 15, 17 and anything else undefined. */
    public static Optional<WorkerOp> fromCode(long code) {
        if (code < 0 || code >= BY_CODE.length) {
            return Optional.empty();
        }
        return Optional.ofNullable(BY_CODE[(int) code]);
    }
}
