/**
 * The NAR archive format (formats.md §2): {@link loomd.protocol.nar.NarWriter} (tree to stream),
 * {@link loomd.protocol.nar.NarRestorer} (stream to tree), {@link loomd.protocol.nar.NarHasher}
 * (stream to hash, nothing on disk), all built on the iterative
 * {@link loomd.protocol.nar.NarParser}. The writer and the restorer can also key each large
 * regular file by its own NAR hash in the same pass ({@link loomd.protocol.nar.FileHashes}).
 *
 * <p>Concurrency: no shared state and no locks. A {@code NarWriter} and each parse are confined
 * to the calling thread. All I/O is blocking JDK I/O (FileChannel, InputStream), which is fine
 * on virtual threads. Nothing here calls native code: the JDK cannot create a symlink target such
 * as {@code a//b/} exactly, so the restorer takes a {@link loomd.protocol.nar.SymlinkCreator}, and
 * the daemon passes one built on {@code symlink(2)} (a short file-system call that never waits on
 * another process, like the JDK's own file operations).
 *
 * <p>Names and symlink targets are raw bytes in a NAR but Strings in {@code java.nio.file}: the
 * JVM must run with {@code sun.jnu.encoding=UTF-8} (a UTF-8 locale, e.g. {@code C.UTF-8}); the
 * restorer refuses names that are not valid UTF-8 rather than mangle them, and the writer refuses
 * a symlink whose target it cannot read back exactly.
 */
package loomd.protocol.nar;
