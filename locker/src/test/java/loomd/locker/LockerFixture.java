package loomd.locker;

import java.nio.file.Path;

import loomd.testkit.Fixture;

/**
 * A locker process for tests, the one way tests start one: on a static field it serves the whole
 * class, on an instance field each test gets its own (tests that kill it need that).
 * {@code @RegisterExtension final LockerFixture locker = new LockerFixture();}
 */
public final class LockerFixture extends Fixture<LockerClient> {
    public LockerFixture() {
        super("locker", dir -> LockerClient.launch(dir.resolve("run")));
    }

    /** A locker running the program {@code program} picks for the runtime directory, whatever is configured. */
    LockerFixture(java.util.function.Function<Path, LockerProgram> program) {
        super("locker", dir -> LockerClient.launch(dir.resolve("run"), program.apply(dir.resolve("run"))));
    }

    public LockerClient client() {
        return get();
    }

    /** Where the locker's launch made (and removed) its socket. */
    public Path runtimeDir() {
        return dir().resolve("run");
    }
}
