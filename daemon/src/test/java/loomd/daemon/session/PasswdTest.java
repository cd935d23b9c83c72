package loomd.daemon.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Users created while the daemon runs are found, as upstream's per-connection look-up finds them. */
class PasswdTest {
    @TempDir Path dir;

    @Test
    void aUserAddedAfterAFailedLookUpIsFound() throws Exception {
        Path file = dir.resolve("passwd");
        Files.writeString(file, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/sbin/nologin\n");
        Passwd passwd = new Passwd(file, Duration.ofHours(1));
        assertEquals("root", passwd.user(0).name());
        assertNull(passwd.user(4242), "not there yet");
        assertNull(passwd.user("alice"));

        Files.writeString(file, "alice:x:4242:100:Alice:/home/alice:/bin/sh\n", StandardOpenOption.APPEND);
        assertEquals(new Passwd.Entry("alice", 4242, 100), passwd.user(4242), "a missing uid is not remembered");
        assertEquals(4242, passwd.user("alice").uid());
    }

    @Test
    void foundUsersAreCachedOnlyForTheirTimeToLive() throws Exception {
        Path file = dir.resolve("passwd");
        Files.writeString(file, "alice:x:4242:100::/:/bin/sh\n");
        Passwd cached = new Passwd(file, Duration.ofHours(1));
        Passwd expiring = new Passwd(file, Duration.ofMillis(50));
        assertEquals("alice", cached.user(4242).name());
        assertEquals("alice", expiring.user(4242).name());

        Files.writeString(file, "alicia:x:4242:100::/:/bin/sh\n");
        assertEquals("alice", cached.user(4242).name(), "within the time to live the file is not re-read");
        Thread.sleep(100);
        assertEquals("alicia", expiring.user(4242).name(), "a renamed user is seen after the time to live");
    }
}
