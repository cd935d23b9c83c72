package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.daemon.Settings.LogCompression;
import loomd.daemon.build.BuildDirectory;
import loomd.daemon.build.BuildEnvironment;
import loomd.daemon.build.BuildIdentity;
import loomd.daemon.build.BuildLog;
import loomd.daemon.build.BuildOutcome;
import loomd.daemon.build.BuilderRun;
import loomd.daemon.build.ContainerLayout;
import loomd.process.ExitStatus;
import loomd.process.Limits;
import loomd.process.ProcessMonitor;
import loomd.process.TimeLimit;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.test.spawner.SpawnerFixture;

/**
 * A static busybox as the builder, in a store of its own, run through the real spawner in the full
 * chroot of daemon.md §4.8 (as root: the spawner fixture skips otherwise).
 */
class BuilderRunTest {
    static final String S = "/gnu/store";
    static final String BUSYBOX = S + "/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox";
    static final String BB = BUSYBOX + "/bin/busybox";
    static final String DRV = S + "/xxjcyhvp3022y7gcad64az5b1k6smlkz-sandbox-view.drv";
    static final String OUT = S + "/56dymnhgq4a9z00cipb5bdpmpwjhgx2b-sandbox-view";

    @RegisterExtension
    static final SpawnerFixture spawner = new SpawnerFixture();
    static final ProcessMonitor monitor = new ProcessMonitor();

    @TempDir
    Path dir;

    @AfterAll
    static void closeMonitor() {
        monitor.close();
    }

    record Run(ContainerLayout layout, BuilderRun run, BuildLog log, ByteArrayOutputStream forwarded) {
        BuildOutcome outcome() throws Exception {
            return run.outcome().get(30, TimeUnit.SECONDS);
        }

        Path output() {
            return layout.fakeStore().resolve(OUT.substring(S.length() + 1));
        }

        String file(String name) throws Exception {
            return Files.readString(output().resolve(name));
        }
    }

    Path store() throws Exception {
        Path store = dir.resolve("store");
        Path bin = Files.createDirectories(store.resolve(BUSYBOX.substring(S.length() + 1)).resolve("bin"));
        if (!Files.exists(bin.resolve("busybox"))) {
            Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"), StandardCopyOption.COPY_ATTRIBUTES);
            Files.createSymbolicLink(bin.resolve("sh"), Path.of("busybox"));
        }
        return store;
    }

    Run build(String script, Limits limits, long maxLogSize, String builder) throws Exception {
        Derivation drv = Derivation.of(Map.of("out", DerivationOutput.regular(OUT)), Map.of(), List.of(BUSYBOX),
                "x86_64-linux", builder, List.of("sh", "-c", script),
                Map.of("out", OUT, "name", "sandbox-view", "system", "x86_64-linux", "builder", builder));
        BuildDirectory buildDir = BuildDirectory.create(Files.createDirectories(dir.resolve("tmp")), "sandbox-view.drv",
                true, Optional.empty());
        ContainerLayout layout = new ContainerLayout(true, S, store(), DRV, buildDir, Set.of(BUSYBOX), Set.of(OUT), false,
                BuildIdentity.Guest.ofThisProcess(), List.of(), ContainerLayout.personality("x86_64-linux", "x86_64-linux", false));
        layout.prepare();
        BuildEnvironment env = BuildEnvironment.forDerivation(drv).storeDir(S).buildCores(3)
                .buildDirInSandbox(buildDir.inSandbox()).daemonEnvironment(System.getenv()).build();
        BuildLog log = BuildLog.open(dir.resolve("log"), DRV.substring(S.length() + 1), LogCompression.GZIP);
        ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
        BuilderRun run = BuilderRun.start(spawner.client(), monitor, layout.request(env), log, limits, maxLogSize,
                (pid, data, off, len) -> {
                    assertTrue(len <= 4096);
                    synchronized (forwarded) {
                        forwarded.write(data, off, len);
                    }
                });
        return new Run(layout, run, log, forwarded);
    }

    Run build(String script) throws Exception {
        return build(script, Limits.NONE, 0, BB);
    }

    static String gunzip(Path file) throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void theBuilderSeesUpstreamsSandbox() throws Exception {
        Run r = build("bb=" + BB + "; $bb mkdir $out; $bb pwd > $out/pwd; cd $out;"
                + " $bb tr '\\0' '\\n' < /proc/$$/environ > env; $bb ls / > root; $bb ls /dev > dev;"
                + " $bb hostname > hostname; $bb cat /proc/net/dev > net; $bb id > id; $bb cat /etc/passwd > passwd;"
                + " $bb cat /etc/hosts > hosts; echo $$ > pid; echo $0 > argv0;"
                + " $bb touch /new 2> rootwrite; $bb touch " + BUSYBOX + "/x 2> storewrite; echo done; echo to-stderr >&2");
        assertEquals(new BuildOutcome.Succeeded(), r.outcome());
        String top = "/tmp/guix-build-sandbox-view.drv-0";
        assertEquals(List.of("HOME=/homeless-shelter", "NIX_BUILD_CORES=3", "NIX_BUILD_TOP=" + top, "NIX_STORE=/gnu/store",
                "PATH=/path-not-set", "PWD=" + top, "TEMP=" + top, "TEMPDIR=" + top, "TMP=" + top, "TMPDIR=" + top,
                "builder=" + BB, "name=sandbox-view", "out=" + OUT, "system=x86_64-linux"), r.file("env").lines().toList());
        assertEquals("dev\netc\ngnu\nproc\ntmp\n", r.file("root"));
        var dev = new TreeSet<>(r.file("dev").lines().toList());
        dev.remove("kvm");
        assertEquals(new TreeSet<>(List.of("fd", "full", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin",
                "stdout", "tty", "urandom", "zero")), dev);
        assertEquals("localhost\n", r.file("hostname"));
        assertEquals(List.of("lo"), r.file("net").lines().skip(2).map(l -> l.trim().split(":")[0]).toList());
        assertTrue(r.file("id").startsWith("uid=30001(nixbld) gid=30000(nixbld)"), r.file("id"));
        assertEquals("nixbld:x:30001:30000:Nix build user:/:/noshell\nnobody:x:65534:65534:Nobody:/:/noshell\n", r.file("passwd"));
        assertEquals("127.0.0.1 localhost\n", r.file("hosts"));
        assertEquals(top + "\n", r.file("pwd"));
        assertEquals("1\n", r.file("pid"), "the builder is PID 1 of its namespace");
        assertEquals("sh\n", r.file("argv0"), "busybox sh -c: $0 is the first argument after argv[0]");
        assertTrue(r.file("rootwrite").contains("Permission denied"), r.file("rootwrite"));
        assertTrue(r.file("storewrite").contains("Read-only file system"), r.file("storewrite"));
        assertEquals("done\nto-stderr\n", r.forwarded().toString(StandardCharsets.UTF_8));
        assertEquals("done\nto-stderr\n", gunzip(r.log().file()));
        long pid = r.run().started().get();
        assertTrue(pid > 1);
        r.layout().delete();
        assertFalse(Files.exists(r.layout().containerDir()));
    }

    @Test
    void aFailingBuilderReportsItsStatusAndKeepsItsLog() throws Exception {
        Run r = build("echo about to fail; echo failing now >&2; exit 3");
        assertEquals(new BuildOutcome.Failed(new ExitStatus.Exited(3)), r.outcome());
        assertEquals("about to fail\nfailing now\n", gunzip(r.log().file()));
    }

    @Test
    void silenceKillsTheWholeTree() throws Exception {
        Run r = build("echo going quiet; " + BB + " sleep 60 & " + BB + " sleep 60",
                new Limits(Optional.empty(), Optional.of(new TimeLimit.Silence(Duration.ofSeconds(1)))), 0, BB);
        long pid = r.run().started().get(10, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        assertEquals(new BuildOutcome.TimedOut(new TimeLimit.Silence(Duration.ofSeconds(1))), r.outcome());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "the builder was killed and reaped");
        assertEquals("going quiet\n", gunzip(r.log().file()));
    }

    @Test
    void wallClockTimeoutAndLogLimit() throws Exception {
        Run slow = build("while true; do echo tick; " + BB + " sleep 0.1; done",
                new Limits(Optional.of(new TimeLimit.WallClock(Duration.ofSeconds(1))), Optional.empty()), 0, BB);
        assertEquals(new BuildOutcome.TimedOut(new TimeLimit.WallClock(Duration.ofSeconds(1))), slow.outcome());
        Run flood = build("while true; do echo 0123456789abcdef0123456789abcdef; done", Limits.NONE, 100_000, BB);
        assertEquals(new BuildOutcome.LogLimitExceeded(100_000), flood.outcome());
        assertTrue(gunzip(flood.log().file()).length() <= 100_000);
    }

    @Test
    void aBuilderThatCannotBeExecutedIsABuildFailureWithUpstreamsLogLine() throws Exception {
        Run r = build("true", Limits.NONE, 0, BUSYBOX + "/bin/missing");
        BuildOutcome outcome = r.outcome();
        var exec = assertInstanceOf(BuildOutcome.ExecFailed.class, outcome);
        assertEquals("while setting up the build environment: executing `" + BUSYBOX
                + "/bin/missing': No such file or directory\n", exec.logLine());
        assertEquals(exec.logLine(), gunzip(r.log().file()));
        assertTrue(r.run().started().isCompletedExceptionally());
    }

    @Test
    void cancelKillsTheBuilder() throws Exception {
        Run r = build("echo started; " + BB + " sleep 60");
        r.run().started().get(10, TimeUnit.SECONDS);
        r.run().cancel();
        assertEquals(new BuildOutcome.Cancelled(), r.outcome());
    }
}
