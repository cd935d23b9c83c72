package loomd.test.spawner;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import loomd.spawner.SpawnerClient;

/**
 * One spawner and one busybox root shared by a test class (as root only; the class is skipped
 * otherwise). Register with {@code @RegisterExtension static final SpawnerFixture spawner = new SpawnerFixture();}.
 */
final class SpawnerFixture implements BeforeAllCallback, AfterAllCallback {
    private Path temp;
    private SpawnerClient client;
    private Path root;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        assumeTrue(Sandboxes.isRoot(), "needs root");
        temp = Files.createTempDirectory("loomd-spawner-test-");
        client = SpawnerClient.launch(Sandboxes.binary(), temp.resolve("run"));
        root = Sandboxes.prepareRoot(Files.createDirectories(temp.resolve("root")));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (client != null) {
            client.close();
        }
        if (temp != null) {
            try (var tree = Files.walk(temp)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    SpawnerClient client() {
        return client;
    }

    /** A root other tests also bind into: mount points made by one test are seen by the next. */
    Path root() {
        return root;
    }
}
