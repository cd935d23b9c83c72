package loomd.protocol.nar;

/** The three node types of a NAR (formats.md §2.2). */
public enum NarNodeType {
    REGULAR,
    SYMLINK,
    DIRECTORY
}
