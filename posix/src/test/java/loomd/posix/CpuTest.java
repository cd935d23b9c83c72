package loomd.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class CpuTest {
    /** Field 19 of {@code /proc/thread-self/stat}: the calling thread's nice value. */
    static int niceOfThisThread() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[19 - 3]);
    }

    @Test
    void lowerThisThreadsPriorityRaisesTheCallingThreadsNiceValueOnly() throws Exception {
        int before = niceOfThisThread();
        int target = Math.min(19, before + 3);
        int[] seen = new int[2];
        boolean[] ok = new boolean[1];
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                ok[0] = Cpu.lowerThisThreadsPriority(3);
                seen[0] = niceOfThisThread();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        t.join();
        seen[1] = niceOfThisThread();
        assertTrue(ok[0]);
        assertEquals(target, seen[0], "the thread's own nice value");
        assertEquals(before, seen[1], "another thread's is untouched");
    }

    @Test
    void refusedOnAVirtualThread() throws Exception {
        Throwable[] thrown = new Throwable[1];
        Thread.ofVirtual().start(() -> thrown[0] = assertThrows(IllegalStateException.class, () -> Cpu.lowerThisThreadsPriority(10))).join();
        assertTrue(thrown[0] != null);
    }
}
