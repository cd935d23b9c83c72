package loomd.test.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;

import loomd.protocol.client.GcAction;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Collections racing builds delete no live path (issue 15), in the short form CI runs; the long
 * form is {@link GcLivenessBench}. The second test proves the judge can fail: a live path removed
 * behind the daemon's back is reported, with the lease that covered it.
 */
class GcLivenessTest {
    @TempDir Path dir;

    @Test
    void collectionsRacingBuildsDeleteNoLivePath() throws Exception {
        GcLivenessRun.Result r = new GcLivenessRun(
                new GcLivenessRun.Config(6, 2, 3, 40, 8, Duration.ofSeconds(40), 20), dir).run();
        System.out.print(r.table());
        assertEquals(List.of(), r.violations());
        assertTrue(r.deletions() > 0, "the collections deleted something");
        assertTrue(r.collectionsDuringBuilds() > 0, "some collection overlapped a running build");
        assertTrue(r.builtRunning() >= 20, "builders ran: " + r.builtRunning());
    }

    @Test
    void aLivePathDeletedBehindTheDaemonsBackIsReported() throws Exception {
        try (DaemonProcess daemon = DaemonProcess.builder(dir.resolve("control")).start();
             StoreClient holder = daemon.client();
             StoreClient collector = daemon.client()) {
            DeletionLog log = DeletionLog.install(daemon.dbFile());
            LiveLedger ledger = new LiveLedger();
            String live = holder.addTextToStore("held", "held by an open session", List.of());
            ledger.open(live, LiveLedger.Why.SESSION_TEMP_ROOT);
            String dead = collector.addTextToStore("dropped", "nobody holds this", List.of());
            collector.close();
            try (StoreClient gc = daemon.client()) {
                gc.collectGarbage(GcAction.DELETE_DEAD, List.of(), StoreClient.NO_LIMIT);
            }
            assertTrue(holder.isValidPath(live));
            assertEquals(List.of(dead), log.read().stream().map(DeletionLog.Deletion::path).toList());
            assertEquals(List.of(), ledger.violations(log.read()));
            Thread.sleep(5);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + daemon.dbFile());
                 PreparedStatement s = c.prepareStatement("delete from ValidPaths where path = ?")) {
                s.setString(1, live);
                assertEquals(1, s.executeUpdate());
            }
            List<String> found = ledger.violations(log.read());
            assertEquals(1, found.size(), found.toString());
            assertTrue(found.getFirst().startsWith("live path deleted: " + live), found.getFirst());
        }
    }
}
