package loomd.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Functions are linked at their first call, not with the class that names them (issue 14's cold start). */
class LibcTest {
    @Test
    void anAbsentFunctionFailsAtItsFirstCallNotBefore() {
        Libc.Fn missing = Libc.function("loomd_no_such_function", FunctionDescriptor.of(Libc.INT, Libc.INT));
        assertThrows(UnsatisfiedLinkError.class, missing::handle);
    }

    @Test
    void aFunctionIsLinkedOnce() {
        Libc.Fn getpid = Libc.plain("getpid", FunctionDescriptor.of(Libc.INT));
        assertSame(getpid.handle(), getpid.handle());
    }

    /**
     * A fresh JVM that opens and closes one fd through {@link Fds}, which names seventeen functions
     * of a dozen shapes, generates the downcall stubs of those two calls only.
     */
    @Test
    void usingAClassLinksOnlyTheFunctionsCalled() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xlog:class+load=info",
                "-cp", System.getProperty("java.class.path"), OpenAndClose.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("opened and closed"), out);
        List<String> stubs = out.lines().filter(l -> l.contains("jdk.internal.foreign.abi.DowncallStub")).toList();
        assertEquals(2, stubs.size(), String.join("\n", stubs));
    }

    /** The child of {@link #usingAClassLinksOnlyTheFunctionsCalled}. */
    static final class OpenAndClose {
        public static void main(String[] args) throws IOException {
            Fds.close(Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC, 0));
            System.out.println("opened and closed");
        }
    }
}
