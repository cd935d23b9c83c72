package loomd.test.substitute;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;

/**
 * {@code --no-substitutes} (daemon.md §2.5 item 9, §9.20): a client's set-options cannot turn
 * substitutes back on; the queries answer nothing and no helper is started.
 */
class NoSubstitutesTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> FakeSubstituter.install(b).args("--no-substitutes"));

    @Test
    void clientsCannotReenableSubstitutes() throws Exception {
        FakeSubstituter fake = FakeSubstituter.of(daemon.process());
        String p = FakeSubstituter.path(daemon.process().storeDir(), "offered", 3);
        fake.serveFile(p, "offered\n", List.of(), "");
        try (StoreClient c = daemon.client()) {
            c.setOptions(BuildOptions.defaults().withUseSubstitutes(true));
            assertFalse(c.hasSubstitutes(p));
            assertEquals(List.of(), c.querySubstitutablePaths(List.of(p)));
            assertEquals(List.of(), c.querySubstitutablePathInfos(List.of(p)));
            assertEquals(List.of(), c.substituteUrls());
            assertThrows(DaemonException.class, () -> c.ensurePath(p));
        }
        assertEquals(List.of(), fake.starts(), "no helper started");
    }
}
