package loomd.test.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.test.support.DaemonFixture;
import loomd.test.support.DaemonProcess;
import loomd.test.support.RawClient;

/**
 * SIGTERM drains: the daemon stops accepting, gives open sessions the grace period, then closes
 * them; each session's temp-roots file is gone afterwards.
 */
class ShutdownTest {
    static final String HELLO = "/gnu/store/3qfa38x5ns7r5wn2mjnd2vnrsj1wircv-hello.txt";

    @RegisterExtension
    final DaemonFixture fixture = new DaemonFixture(b -> b.args("--shutdown-grace=1"));

    static long tempRootFiles(DaemonProcess d) throws IOException {
        try (Stream<Path> files = Files.list(d.stateDir().resolve("temproots"))) {
            return files.filter(p -> p.getFileName().toString().contains("session")).count();
        }
    }

    @Test
    void sigtermClosesSessionsAfterTheGracePeriod() throws Exception {
        DaemonProcess daemon = fixture.process();
        try (RawClient idle = fixture.raw().handshake(); RawClient busy = fixture.raw().handshake()) {
            busy.out.writeU64(8);
            busy.out.writeString("hello.txt");
            busy.out.writeString("hello world\n");
            busy.out.writeU64(0);
            busy.out.flush();
            assertEquals(null, busy.awaitReply());
            busy.in.readString(loomd.protocol.wire.LimitKind.PATH);
            busy.out.writeU64(11);
            busy.out.writeString(HELLO);
            busy.out.flush();
            assertEquals(null, busy.awaitReply());
            assertEquals(1, busy.in.readU64());
            assertTrue(tempRootFiles(daemon) >= 1, "the session has a temp-roots file");

            long start = System.nanoTime();
            daemon.process().destroy();
            assertTrue(daemon.process().waitFor(20, TimeUnit.SECONDS), daemon.log());
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 900, "waited for the grace period: " + millis + " ms");
            assertTrue(idle.closedByDaemon(Duration.ofSeconds(2)));
            assertTrue(busy.closedByDaemon(Duration.ofSeconds(2)));
            assertEquals(0, tempRootFiles(daemon), "temp roots removed");
            assertTrue(daemon.log().contains("stopped"), daemon.log());
            assertTrue(!Files.exists(daemon.socketPath()), "socket file removed");
        }
    }
}
