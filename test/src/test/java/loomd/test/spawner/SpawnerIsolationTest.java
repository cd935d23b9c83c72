package loomd.test.spawner;

import static loomd.test.spawner.Sandboxes.run;
import static loomd.test.spawner.Sandboxes.sandbox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.process.ExitStatus;

/** What a sandboxed child can see, checked from inside with busybox (as root). */
class SpawnerIsolationTest {
    @RegisterExtension
    static final SpawnerFixture spawner = new SpawnerFixture();

    private static String out(String... argv) throws Exception {
        var result = run(spawner.client(), sandbox(spawner.root(), argv).build());
        assertEquals(new ExitStatus.Exited(0), result.status(), () -> "output: " + result.output());
        return result.output();
    }

    @Test
    void childIsPidOne() throws Exception {
        assertEquals("1\n", out("/bin/sh", "-c", "echo $$"));
    }

    @Test
    void hostnameIsSet() throws Exception {
        assertEquals("sandbox\n", out("/bin/hostname"));
    }

    @Test
    void onlyLoopbackAndItIsUp() throws Exception {
        String dev = out("/bin/cat", "/proc/net/dev");
        List<String> interfaces = dev.lines().skip(2).map(l -> l.trim().split(":")[0]).toList();
        assertEquals(List.of("lo"), interfaces);
        String link = out("/bin/ip", "link");
        assertTrue(link.contains("lo: <LOOPBACK,UP,LOWER_UP>"), link);
    }

    @Test
    void everySandboxHasANetworkNamespaceOfItsOwn() throws Exception {
        // The spawner serves these from spare namespaces it makes while idle: one spare, one child.
        String script = "ls -l /proc/self/ns/net | sed 's/.*-> //'";
        var held = spawner.client().spawn(sandbox(spawner.root(), "/bin/sh", "-c", script + "; exec sleep 1000").build())
                .get(10, java.util.concurrent.TimeUnit.SECONDS);
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(held.output()))) {
            String first = reader.readLine();
            Thread.sleep(50); // idle time: a fresh spare is ready for the next request
            String second = out("/bin/sh", "-c", script).trim();
            String host = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
            assertTrue(first.startsWith("net:["), first);
            assertTrue(second.startsWith("net:["), second);
            assertFalse(first.equals(second), "two live sandboxes share " + first);
            assertFalse(host.equals(first) || host.equals(second), "a sandbox is in the host's " + host);
        } finally {
            held.kill();
        }
    }

    @Test
    void sharedNetworkWhenNotAsked() throws Exception {
        var request = sandbox(spawner.root(), "/bin/cat", "/proc/net/dev").build();
        var shared = loomd.spawner.SpawnRequest.builder().argv("/bin/cat", "/proc/net/dev")
                .namespaces(loomd.spawner.Namespace.MOUNT, loomd.spawner.Namespace.PID)
                .root(spawner.root().toString()).bind(Sandboxes.BUSYBOX, true).mountProc(true)
                .output(loomd.spawner.Output.CAPTURE).build();
        long isolated = run(spawner.client(), request).output().lines().count();
        long host = run(spawner.client(), shared).output().lines().count();
        assertEquals(3, isolated);
        assertEquals(Files.readAllLines(Path.of("/proc/net/dev")).size(), host);
    }

    @Test
    void onlyTheRootAndItsBindsAreVisible(@TempDir Path fresh) throws Exception {
        // Mount points are made in the spawner.root() itself, so this test takes a spawner.root() no other test binds into.
        Path own = Sandboxes.prepareRoot(fresh);
        var listing = run(spawner.client(), sandbox(own, "/bin/ls", "/").build());
        assertEquals("bin\ndev\nproc\n", listing.output());
        String bin = out("/bin/ls", "/bin");
        var expected = new TreeSet<>(Sandboxes.APPLETS);
        expected.add("busybox");
        assertEquals(expected, new TreeSet<>(bin.lines().toList()));
    }

    @Test
    void readOnlyBindsAreUnwritableAndReadWriteOnesWritable(@TempDir Path data) throws Exception {
        Files.writeString(data.resolve("given"), "hello\n");
        Path rw = Files.createDirectories(data.resolve("rw"));
        var request = sandbox(spawner.root(), "/bin/sh", "-c",
                "cat /data/given; touch /data/new && echo wrote-ro; touch /rw/new && echo wrote-rw")
                .bind(data.toString(), "/data", true)
                .bind(rw.toString(), "/rw", false)
                .build();
        var result = run(spawner.client(), request);
        assertTrue(result.output().startsWith("hello\n"), result.output());
        assertTrue(result.output().contains("Read-only file system"), result.output());
        assertFalse(result.output().contains("wrote-ro"), result.output());
        assertTrue(result.output().contains("wrote-rw"), result.output());
        assertFalse(Files.exists(data.resolve("new")));
        assertTrue(Files.exists(rw.resolve("new")));
    }

    @Test
    void fileBindsWork(@TempDir Path data) throws Exception {
        Path file = Files.writeString(data.resolve("passwd"), "nixbld:x:30001:30000::/:/noshell\n");
        var request = sandbox(spawner.root(), "/bin/cat", "/etc/passwd").bind(file.toString(), "/etc/passwd", true).build();
        assertEquals("nixbld:x:30001:30000::/:/noshell\n", run(spawner.client(), request).output());
    }

    @Test
    void identityIsSwitched() throws Exception {
        var request = sandbox(spawner.root(), "/bin/id").identity(30001, 30000, 30000, 4242).build();
        // The kernel keeps the group list sorted.
        assertEquals("uid=30001 gid=30000 groups=4242,30000\n", run(spawner.client(), request).output());
    }

    @Test
    void devHasExactlyTheExpectedNodes() throws Exception {
        var request = sandbox(spawner.root(), "/bin/ls", "/dev").devPts(true).devShm(true).build();
        var expected = new TreeSet<>(List.of("fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
                "stdout", "tty", "urandom", "zero"));
        if (Files.exists(Path.of("/dev/kvm"))) {
            expected.add("kvm");
        }
        assertEquals(expected, new TreeSet<>(run(spawner.client(), request).output().lines().toList()));
        assertEquals("hello", out("/bin/sh", "-c", "echo -n hello > /dev/null; echo -n hello").trim());
    }

    @Test
    void noInheritedFds() throws Exception {
        // The shell's own fds: stdin (/dev/null), stdout and stderr (the log pipe), nothing else.
        String fds = out("/bin/sh", "-c", "ls /proc/$$/fd; true");
        assertEquals(List.of("0", "1", "2"), Arrays.asList(fds.trim().split("\\s+")));
    }

    @Test
    void noFdLeaksFromTheSpawnersOwnInheritance(@TempDir Path temp) throws Exception {
        // A spawner that inherited a non-close-on-exec fd 9 (a wrapper opens it, then execs the spawner):
        // its children still get only 0, 1 and 2.
        Path wrapper = Files.writeString(temp.resolve("spawner-with-fd-9"),
                "#!/bin/sh\nexec 9</dev/null\nexec " + Sandboxes.binary() + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        try (var leaky = loomd.spawner.SpawnerClient.launch(wrapper, temp.resolve("run"))) {
            assertTrue(Files.exists(Path.of("/proc/" + leaky.spawnerPid() + "/fd/9")), "the wrapper's fd 9 reached the spawner");
            var result = run(leaky, sandbox(spawner.root(), "/bin/sh", "-c", "ls /proc/$$/fd; true").build());
            assertEquals(List.of("0", "1", "2"), Arrays.asList(result.output().trim().split("\\s+")));
        }
    }

    @Test
    void environmentIsExactlyTheRequested() throws Exception {
        var request = sandbox(spawner.root(), "/bin/sh", "-c", "echo \"$FOO|$HOME\"").env("FOO", "bar").build();
        assertEquals("bar|\n", run(spawner.client(), request).output());
    }

    @Test
    void resourceLimitsApply() throws Exception {
        var request = sandbox(spawner.root(), "/bin/sh", "-c", "ulimit -n")
                .limit(loomd.spawner.ResourceLimit.Resource.NOFILE, 77, 77).build();
        assertEquals("77\n", run(spawner.client(), request).output());
    }

    @Test
    void stdinOutputChannelAndExtraFdsArePassed() throws Exception {
        java.nio.channels.Pipe in = java.nio.channels.Pipe.open();
        java.nio.channels.Pipe out = java.nio.channels.Pipe.open();
        java.nio.channels.Pipe extra = java.nio.channels.Pipe.open();
        var request = sandbox(spawner.root(), "/bin/sh", "-c", "cat; echo extra >&3; ls /proc/$$/fd; true")
                .stdin(in.source())
                .output(new loomd.spawner.Output.ToChannel(out.sink()))
                .extraFd(3, loomd.posix.Fds.fdOf(extra.sink()))
                .build();
        var p = spawner.client().spawn(request).get(10, java.util.concurrent.TimeUnit.SECONDS);
        in.source().close();
        out.sink().close();
        extra.sink().close();
        in.sink().write(java.nio.ByteBuffer.wrap("from stdin\n".getBytes()));
        in.sink().close();
        var printed = Sandboxes.readAll(java.nio.channels.Channels.newInputStream(out.source()));
        var side = Sandboxes.readAll(java.nio.channels.Channels.newInputStream(extra.source()));
        assertEquals(new ExitStatus.Exited(0), p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("from stdin\n0\n1\n2\n3\n", printed.get(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals("extra\n", side.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }

    @Test
    void exitFuturesCompleteOnTheLinkReader() throws Exception {
        var p = spawner.client().spawn(sandbox(spawner.root(), "/bin/sleep", "0.2").build()).get(10, java.util.concurrent.TimeUnit.SECONDS);
        var thread = p.onExit().thenApply(status -> Thread.currentThread());
        Thread completer = thread.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals("loomd-spawner-reader", completer.getName());
        assertFalse(completer.isVirtual());
    }

    @Test
    void upstreamBuilderSettings(@TempDir Path fresh) throws Exception {
        // A spawner.root() of its own: chmodRootReadOnly changes the spawner.root() directory's mode.
        Path own = Sandboxes.prepareRoot(fresh);
        var request = sandbox(own, "/bin/sh", "-c",
                "cat /proc/self/personality; cat /proc/self/oom_score_adj; grep CapAmb /proc/self/status; "
                        + "mkdir /new 2>&1; ls -ld / | cut -c1-10")
                .identity(30001, 30000).personality(0x0040000).oomScoreAdj(1000).chmodRootReadOnly(true).build();
        var lines = run(spawner.client(), request).output().lines().toList();
        assertEquals("00040000", lines.get(0));
        assertEquals("1000", lines.get(1));
        assertEquals("CapAmb:\t0000000000000000", lines.get(2));
        assertTrue(lines.get(3).contains("Permission denied"), lines.toString());
        assertEquals("dr-xr-xr-x", lines.get(4));
    }

    @Test
    void announceWritesTheSetupLine() throws Exception {
        var request = sandbox(spawner.root(), "/bin/echo", "built").announceSetup(true).build();
        assertEquals("\nbuilt\n", run(spawner.client(), request).output());
    }
}
