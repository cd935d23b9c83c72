/**
 * The one package that calls native code (through {@code java.lang.foreign}): the Linux system calls
 * the JDK lacks. Nothing here keeps state; every call allocates its native memory in a confined
 * arena and frees it before returning, and reports failure as a {@link loomd.posix.PosixException}
 * (call name, errno, strerror text). {@link loomd.posix.HelperSocket}, the one-shot link to a helper
 * process (locker, spawner), sits here because it is built on {@link loomd.posix.PeerCredentials}.
 *
 * <p>Threading rules. A downcall pins its carrier while it runs, so:
 * <ul>
 *   <li>{@link loomd.posix.OfdLocks#lockWait} refuses virtual threads outright (it may wait forever), and so
 *       does {@link loomd.posix.Fds#syncfs} (it writes back a whole file system);</li>
 *   <li>{@link loomd.posix.FdPassing} and {@link loomd.posix.Fds#read} block on blocking fds and belong on
 *       the platform threads that own a helper link;</li>
 *   <li>everything else returns at once and is safe anywhere.</li>
 * </ul>
 *
 * <p>The JVM must run with {@code --enable-native-access=ALL-UNNAMED} (this package runs on the class
 * path, so it cannot be named; docs/architecture.md says why); {@link loomd.posix.Fds#fdOf} also
 * needs {@code java.base/sun.nio.ch} exported (or opened) to ALL-UNNAMED. No class outside this
 * package may reach native code: {@code NativeConfinementTest} checks the compiled classes.
 *
 * <p>Struct layouts (flock, msghdr, cmsghdr, ucred, stat prefix) are those of 64-bit Linux (x86_64
 * and arm64).
 */
package loomd.posix;
