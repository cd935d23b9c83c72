package loomd.test.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;

/**
 * What a journal user sees: one line per event, upstream's words, no java.util.logging record
 * (a date-and-class line, then {@code INFO: ...}); {@code --debug} adds upstream's debug lines.
 */
class LogLinesTest {
    private static final Pattern JUL_HEADER = Pattern.compile("^[A-Z][a-z]{2} \\d{2}, \\d{4} .*(AM|PM) loomd\\.");
    private static final Pattern JUL_LEVEL = Pattern.compile("^(SEVERE|WARNING|INFO|FINE|CONFIG):");

    @Test
    void oneLinePerEvent(@TempDir Path root) throws Exception {
        String log;
        try (DaemonProcess d = DaemonProcess.builder(root).args("--disable-chroot").start()) {
            try (StoreClient c = d.client()) {
                c.isValidPath("/gnu/store/00000000000000000000000000000000-x");
            }
            log = d.log();
        }
        List<String> lines = log.lines().toList();
        assertEquals(List.of(), lines.stream().filter(l -> JUL_HEADER.matcher(l).find() || JUL_LEVEL.matcher(l).find()).toList(), log);
        // The store's first-start note (a System.Logger record) is one line of its own.
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("no durable checkpoint yet")), log);
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("accepted connection from pid ")), log);
        assertFalse(log.contains("build log compression"), "debug lines only with --debug: " + log);
        assertFalse(log.contains("SLF4J"), "a library's provider notice is not an event of the daemon: " + log);
    }

    @Test
    void debugAddsUpstreamsDebugLines(@TempDir Path root) throws Exception {
        String log;
        try (DaemonProcess d = DaemonProcess.builder(root).args("--debug").start()) {
            log = d.log();
        }
        assertTrue(log.lines().anyMatch("build log compression: gzip"::equals), log);
        assertTrue(log.lines().anyMatch("extra chroot directories: ''"::equals), log);
        assertTrue(log.lines().anyMatch("automatic deduplication set to 1"::equals), log);
    }
}
