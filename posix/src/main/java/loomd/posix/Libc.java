package loomd.posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Downcall plumbing shared by the classes of this package: symbol lookup in libc and errno capture.
 * Every handle made by {@link #function} takes the errno capture segment as its first argument.
 *
 * <p>A function is linked at its first call ({@link Fn}), not when the class naming it is
 * initialised: the JVM generates a downcall stub per function shape at run time (the AOT cache
 * holds none), and a cold start that linked every function of a class it touched (issue 14) spent
 * much of its CPU generating and compiling stubs it did not call before its first reply.
 */
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final java.lang.foreign.AddressLayout POINTER = ValueLayout.ADDRESS;

    private static final Fn STRERROR = plain("strerror", FunctionDescriptor.of(POINTER, INT));

    private Libc() {}

    /**
     * A libc function, linked when {@link #handle} is first called. Two threads calling it first
     * at once may both link it; both get equal handles (the linker shares the stub), one is kept.
     */
    static final class Fn {
        private final String name;
        private final FunctionDescriptor descriptor;
        private final Linker.Option[] options;
        private volatile MethodHandle handle;

        private Fn(String name, FunctionDescriptor descriptor, Linker.Option... options) {
            this.name = name;
            this.descriptor = descriptor;
            this.options = options;
        }

        /** The downcall handle; the first call looks the symbol up (UnsatisfiedLinkError if absent) and links it. */
        MethodHandle handle() {
            MethodHandle h = handle;
            if (h == null) {
                h = LINKER.downcallHandle(symbol(name), descriptor, options);
                handle = h;
            }
            return h;
        }
    }

    /** A function with errno capture: the capture segment comes first, then the C arguments. */
    static Fn function(String name, FunctionDescriptor descriptor) {
        return new Fn(name, descriptor, CAPTURE_ERRNO);
    }

    /** A variadic function; {@code fixedArgs} is the count of arguments before the "...". */
    static Fn variadic(String name, FunctionDescriptor descriptor, int fixedArgs) {
        return new Fn(name, descriptor, Linker.Option.firstVariadicArg(fixedArgs), CAPTURE_ERRNO);
    }

    /** A function that cannot fail and sets no errno (getpid and friends). */
    static Fn plain(String name, FunctionDescriptor descriptor) {
        return new Fn(name, descriptor);
    }

    static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }

    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.handle().invokeExact(errno);
            if (text.equals(MemorySegment.NULL)) {
                return "errno " + errno;
            }
            return text.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Rethrows what a downcall may throw; downcalls themselves only throw errors. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected exception from a native call", t);
    }

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }
}
