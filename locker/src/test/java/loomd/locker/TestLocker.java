package loomd.locker;

import java.io.IOException;
import java.nio.file.Files;

/** One locker process shared by the test classes that need no private one (it exits with the test JVM). */
final class TestLocker {
    private static LockerClient client;

    private TestLocker() {}

    static synchronized LockerClient client() throws IOException {
        if (client == null) {
            client = LockerClient.launch(Files.createTempDirectory("loomd-locker-test"));
        }
        return client;
    }
}
