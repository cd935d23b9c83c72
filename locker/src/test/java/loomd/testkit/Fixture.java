package loomd.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Something a test needs running (a helper process, a daemon), started in a private temporary
 * directory on first use and closed afterwards, the directory with it. Registered on a static
 * field ({@code @RegisterExtension static final ...}) it serves the whole class; on an instance
 * field, each test gets a fresh one. JUnit calls the class-level callbacks only for static fields,
 * which is how the two cases are told apart. Starting on first use spares the tests of a class
 * that never touch it a process start on a shared, loaded machine.
 */
public class Fixture<T extends AutoCloseable> implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    /** Starts the resource in {@code dir}, a fresh directory it may fill as it likes. */
    @FunctionalInterface
    public interface Starter<T> {
        T start(Path dir) throws Exception;
    }

    private final String name;
    private final Starter<? extends T> starter;
    private boolean perClass;
    private Path dir;
    private T resource;

    protected Fixture(String name, Starter<? extends T> starter) {
        this.name = name;
        this.starter = starter;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        if (!perClass) {
            shut();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        shut();
    }

    /** The running resource, started now if this is its first use. */
    public synchronized T get() {
        if (resource == null) {
            open();
        }
        return resource;
    }

    /** The fixture's private directory (removed when the resource is closed). */
    public synchronized Path dir() {
        get();
        return dir;
    }

    private void open() {
        try {
            dir = Files.createTempDirectory("loomd-" + name + "-");
            resource = starter.start(dir);
        } catch (Exception e) {
            cleanUpFailedStart();
            throw e instanceof RuntimeException r ? r : new IllegalStateException("the " + name + " did not start", e);
        } catch (Error e) {
            cleanUpFailedStart();
            throw e;
        }
    }

    private void cleanUpFailedStart() {
        if (dir != null) {
            deleteTree(dir);
            dir = null;
        }
    }

    private synchronized void shut() throws Exception {
        try {
            if (resource != null) {
                resource.close();
            }
        } finally {
            resource = null;
            if (dir != null) {
                deleteTree(dir);
                dir = null;
            }
        }
    }

    /**
     * Removes a tree best effort: store items are read-only (directories 0555), so each directory
     * is made writable before its entries go; whatever still resists stays in the temp folder.
     */
    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path p : all.reversed()) {
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    p.toFile().setWritable(true, true);
                }
            }
            for (Path p : all) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("could not remove " + p + ": " + e);
                }
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("could not remove " + root + " entirely: " + e);
        }
    }
}
