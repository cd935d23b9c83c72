package loomd.spawner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class SpawnRequestTest {

    @Test
    void inconsistentRequestsAreRejectedWithAReason() {
        var noMountNs = assertThrows(IllegalArgumentException.class,
                () -> SpawnRequest.builder().argv("/bin/true").root("/tmp/r").build());
        assertEquals("a root needs a mount namespace", noMountNs.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/true").bind("/a", true).build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("true").build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/true").hostname("h").build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT).root("/r").mountProc(true).build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.USER).build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/a\0b"));
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().env("A=B", "c"));
        // The spawner accepts child fds up to 1023 (MAX_TARGET_FD) and nothing at or below 2 as an extra.
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().extraFd(1024, 5));
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().extraFd(2, 5));
        SpawnRequest.builder().extraFd(1023, 5);
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().bind("relative", "/x", true));
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().extraFd(2, 5));
        assertThrows(IllegalArgumentException.class, () -> new ResourceLimit(ResourceLimit.Resource.NOFILE, 10, 5));
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT).root("/r").lockMounts(true).build());
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().oomScoreAdj(1001));
        assertThrows(IllegalArgumentException.class, () -> SpawnRequest.builder().argv("/bin/true")
                .namespaces(Namespace.MOUNT).root("/r").minimalDev(true).bind("/dev", false).build());
    }

    @Test
    void programDefaultsToArgvZeroAndEnvKeepsOrder() {
        Map<String, String> env = new TreeMap<>(Map.of("b", "2", "a", "1"));
        var r = SpawnRequest.builder().argv("/bin/sh", "-c", "x").env(env).env("c", "3").build();
        assertEquals("/bin/sh", r.program());
        assertEquals(List.of("a=1", "b=2", "c=3"), r.env());
        var upstream = SpawnRequest.builder().program("/gnu/store/x-bash/bin/bash").argv("bash", "-e").build();
        assertEquals("/gnu/store/x-bash/bin/bash", upstream.program());
        assertEquals(ProcessGroup.NEW_SESSION, upstream.processGroup());
    }

    @Test
    void spawnFrameLayout() {
        var r = SpawnRequest.builder().argv("/bin/echo", "hi").namespaces(Namespace.MOUNT, Namespace.PID)
                .root("/r").bind("/bin/busybox", true).mountProc(true).identity(30001, 30000, 7).build();
        byte[] frame = Wire.spawnFrame(42, r, List.of(new Wire.FdMapping(1, 0), new Wire.FdMapping(2, 0)));
        ByteBuffer b = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(frame.length - 4, b.getInt());
        assertEquals(Wire.REQ_SPAWN, b.getInt());
        assertEquals(42, b.getLong());
        int flags = b.getInt();
        assertEquals(Namespace.MOUNT.flag | Namespace.PID.flag, flags & 0x3f);
        assertTrue((flags & (1 << 8)) != 0, "proc");
        assertTrue((flags & (1 << 7)) != 0, "setsid by default");
        assertTrue((flags & (1 << 13)) != 0, "set ids");
        assertEquals(30001, b.getInt());
        assertEquals(30000, b.getInt());
        assertEquals(1, b.getInt());
        assertEquals(7, b.getInt());
        for (int i = 0; i < 4 + 2; i++) { // id maps, personality, oom_score_adj
            assertEquals(0, b.getInt());
        }
        assertEquals("/bin/echo", Wire.string(b));
        assertEquals("", Wire.string(b));
        assertEquals("/r", Wire.string(b));
        assertEquals("", Wire.string(b));
        assertEquals(2, b.getInt());
        assertEquals("/bin/echo", Wire.string(b));
        assertEquals("hi", Wire.string(b));
        assertEquals(0, b.getInt());
        assertEquals(1, b.getInt());
        assertEquals("/bin/busybox", Wire.string(b));
        assertEquals("/bin/busybox", Wire.string(b));
        assertEquals(1, b.getInt());
        assertEquals(0, b.getInt());
        assertEquals(2, b.getInt());
        assertEquals(1, b.getInt());
        assertEquals(0, b.getInt());
        assertEquals(2, b.getInt());
        assertEquals(0, b.getInt());
        assertEquals(0, b.remaining());
    }

    @Test
    void errorsReadWell() {
        assertEquals("setting up the child failed at step bind (/nope): No such file or directory [errno 2]",
                new SpawnError.SetupFailure(SetupStep.BIND, 2, "/nope").message());
        assertEquals("executing `/bin/x': Permission denied [errno 13]", new SpawnError.ExecFailure("/bin/x", 13).message());
    }
}
