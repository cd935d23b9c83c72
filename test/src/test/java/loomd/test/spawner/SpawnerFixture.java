package loomd.test.spawner;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import loomd.spawner.SpawnerClient;
import loomd.testkit.Fixture;

/**
 * A spawner and a busybox root beside it, as root only (a test using it is skipped otherwise): on
 * a static field one for the class, on an instance field one per test.
 * {@code @RegisterExtension static final SpawnerFixture spawner = new SpawnerFixture();}
 */
public final class SpawnerFixture extends Fixture<SpawnerClient> {
    public SpawnerFixture() {
        super("spawner", dir -> {
            assumeTrue(Sandboxes.isRoot(), "needs root");
            Sandboxes.prepareRoot(Files.createDirectories(dir.resolve("root")));
            return launch(dir);
        });
    }

    /** A spawner of the build's binary whose runtime directory is {@code dir/run}. */
    public static SpawnerClient launch(Path dir) throws java.io.IOException {
        return SpawnerClient.launch(Sandboxes.binary(), dir.resolve("run"));
    }

    public SpawnerClient client() {
        return get();
    }

    /** A root other tests also bind into: mount points made by one test are seen by the next. */
    public Path root() {
        return dir().resolve("root");
    }
}
