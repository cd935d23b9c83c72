package loomd.protocol.wire;

/** The kinds of length-prefixed fields that {@link WireLimits} bounds separately. */
public enum LimitKind {
    /** A store path, file name or hash part: anything path-like. */
    PATH,
    /** A general string: option names and values, algorithm names, messages. */
    STRING,
    /** A large payload: the text of {@code wopAddTextToStore}, client data replies. */
    BYTES,
    /** The element count of a string list or path set. */
    LIST,
    /** The pair count of a string-pairs field. */
    PAIRS
}
