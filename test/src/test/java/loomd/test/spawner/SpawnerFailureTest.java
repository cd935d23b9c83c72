package loomd.test.spawner;

import static loomd.test.spawner.Sandboxes.alive;
import static loomd.test.spawner.Sandboxes.sandbox;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.posix.Errno;
import loomd.process.ExitStatus;
import loomd.spawner.IdMapping;
import loomd.spawner.Output;
import loomd.spawner.ProcessGroup;
import loomd.spawner.SetupStep;
import loomd.spawner.SpawnError;
import loomd.spawner.SpawnException;
import loomd.spawner.SpawnRequest;
import loomd.spawner.SpawnedProcess;

/** Precise errors for bad requests, and nothing left behind after kills. */
class SpawnerFailureTest {
    @RegisterExtension
    static final SpawnerFixture spawner = new SpawnerFixture();

    private static SpawnError failure(SpawnRequest request) {
        var e = assertThrows(ExecutionException.class, () -> spawner.client().spawn(request).get(10, TimeUnit.SECONDS));
        return assertInstanceOf(SpawnException.class, e.getCause()).error();
    }

    @Test
    void missingExecutableIsAnExecFailure() {
        var error = failure(sandbox(spawner.root(), "/bin/no-such-program").build());
        assertEquals(new SpawnError.ExecFailure("/bin/no-such-program", Errno.ENOENT), error);
        assertEquals("executing `/bin/no-such-program': No such file or directory [errno 2]", error.message());
    }

    @Test
    void missingExecutableWithoutSandboxToo() {
        var request = SpawnRequest.builder().argv("/nonexistent/prog").build();
        assertEquals(new SpawnError.ExecFailure("/nonexistent/prog", Errno.ENOENT), failure(request));
    }

    @Test
    void badBindSourceNamesTheStepAndPath() {
        var error = failure(sandbox(spawner.root(), "/bin/true").bind("/no/such/source", "/x", true).build());
        assertEquals(new SpawnError.SetupFailure(SetupStep.BIND, Errno.ENOENT, "/no/such/source"), error);
        assertTrue(error.message().contains("step bind (/no/such/source): No such file or directory"), error.message());
    }

    @Test
    void badWorkingDirectory() {
        var error = failure(sandbox(spawner.root(), "/bin/true").cwd("/nowhere").build());
        assertEquals(new SpawnError.SetupFailure(SetupStep.CHDIR, Errno.ENOENT, "/nowhere"), error);
    }

    @Test
    void aBuilderExitingWith127IsNotASetupFailure() throws Exception {
        // 127 is also what a failed setup exits with: only the setup pipe tells them apart.
        var result = Sandboxes.run(spawner.client(), sandbox(spawner.root(), "/bin/sh", "-c", "exit 127").build());
        assertEquals(new ExitStatus.Exited(127), result.status());
    }

    @Test
    void aSetupFailureIsReportedEvenWhenExtraFdsCoverTheSetupPipesNumber() throws Exception {
        // Ten extra fds at 10..19: the child's copy of the setup pipe sits in that range (the spawner's
        // 5 fds, the 11 received, then the pipe), so mapping them must not clobber it.
        var pipe = java.nio.channels.Pipe.open();
        try (var source = pipe.source(); var sink = pipe.sink()) {
            var request = sandbox(spawner.root(), "/bin/true").cwd("/nowhere");
            for (int fd = 10; fd < 20; fd++) {
                request.extraFd(fd, loomd.posix.Fds.fdOf(sink));
            }
            assertEquals(new SpawnError.SetupFailure(SetupStep.CHDIR, Errno.ENOENT, "/nowhere"), failure(request.build()));
        }
    }

    @Test
    void refusedUidInAUserNamespace() {
        // Only 30001/30000 exist in the namespace: switching to 1234 is refused by the kernel.
        var request = sandbox(spawner.root(), "/bin/id").userNamespace(new IdMapping(30001, 0, 30000, 0))
                .identity(1234, 30000).build();
        var error = failure(request);
        assertEquals(new SpawnError.SetupFailure(SetupStep.SETUID, Errno.EINVAL, ""), error);
    }

    @Test
    void userNamespaceMapsTheRequestedIds() throws Exception {
        var request = sandbox(spawner.root(), "/bin/id").userNamespace(new IdMapping(30001, 0, 30000, 0))
                .identity(30001, 30000).build();
        // Supplementary groups stay the spawner's (setgroups is denied in the namespace).
        String id = Sandboxes.run(spawner.client(), request).output();
        assertTrue(id.startsWith("uid=30001 gid=30000"), id);
    }

    @Test
    void grandchildrenDieWhenTheChildExits() throws Exception {
        // No PID namespace: the grandchildren are visible on the host and only the group kill gets them.
        var request = SpawnRequest.builder()
                .argv("/bin/busybox", "sh", "-c", "sleep 1000 & echo $!; sleep 1000 & echo $!; exit 3")
                .processGroup(ProcessGroup.NEW_SESSION).output(Output.CAPTURE).build();
        var result = Sandboxes.run(spawner.client(), request);
        assertEquals(new ExitStatus.Exited(3), result.status());
        for (String pid : result.output().trim().split("\\s+")) {
            assertTrue(Sandboxes.gone(Long.parseLong(pid)), "grandchild " + pid + " survived");
        }
    }

    @Test
    void killTakesTheWholeGroup() throws Exception {
        var request = SpawnRequest.builder()
                .argv("/bin/busybox", "sh", "-c", "sleep 1000 & echo $!; sleep 1000")
                .output(Output.CAPTURE).build();
        SpawnedProcess p = spawner.client().spawn(request).get(10, TimeUnit.SECONDS);
        var reader = new BufferedReader(new InputStreamReader(p.output(), StandardCharsets.UTF_8));
        long grandchild = Long.parseLong(reader.readLine().trim());
        assertTrue(alive(grandchild));
        p.kill();
        assertEquals(new ExitStatus.Signaled(9, false), p.onExit().get(10, TimeUnit.SECONDS));
        assertEquals(null, reader.readLine(), "the pipe reaches EOF: every writer is gone");
        assertTrue(Sandboxes.gone(grandchild));
    }

    @Test
    void killOfASandboxTakesEverythingInIt() throws Exception {
        var request = sandbox(spawner.root(), "/bin/sh", "-c", "sleep 1000 & sleep 1000 & echo ready; sleep 1000").build();
        SpawnedProcess p = spawner.client().spawn(request).get(10, TimeUnit.SECONDS);
        var reader = new BufferedReader(new InputStreamReader(p.output(), StandardCharsets.UTF_8));
        assertEquals("ready", reader.readLine());
        p.kill();
        assertEquals(new ExitStatus.Signaled(9, false), p.onExit().get(10, TimeUnit.SECONDS));
        assertEquals(null, reader.readLine());
        assertTrue(Sandboxes.childrenOf(spawner.client().spawnerPid()).isEmpty());
    }

    @Test
    void killUserTakesEveryProcessOfThatUid() throws Exception {
        int uid = 30123;
        var asUser = SpawnRequest.builder().argv("/bin/busybox", "sleep", "1000").identity(uid, uid).build();
        SpawnedProcess a = spawner.client().spawn(asUser).get(10, TimeUnit.SECONDS);
        SpawnedProcess b = spawner.client().spawn(asUser).get(10, TimeUnit.SECONDS);
        SpawnedProcess other = spawner.client().spawn(SpawnRequest.builder().argv("/bin/busybox", "sleep", "1000")
                .identity(uid + 1, uid + 1).build()).get(10, TimeUnit.SECONDS);
        spawner.client().killUser(uid, uid).get(10, TimeUnit.SECONDS);
        assertEquals(new ExitStatus.Signaled(9, false), a.onExit().get(10, TimeUnit.SECONDS));
        assertEquals(new ExitStatus.Signaled(9, false), b.onExit().get(10, TimeUnit.SECONDS));
        assertTrue(alive(other.pid()), "another uid's process survives");
        other.kill();
        other.onExit().get(10, TimeUnit.SECONDS);
        // Nothing left to kill is fine too.
        spawner.client().killUser(uid, uid).get(10, TimeUnit.SECONDS);
    }

    @Test
    void killAfterExitIsHarmless() throws Exception {
        SpawnedProcess p = spawner.client().spawn(sandbox(spawner.root(), "/bin/true").output(Output.DISCARD).build()).get(10, TimeUnit.SECONDS);
        assertEquals(new ExitStatus.Exited(0), p.onExit().get(10, TimeUnit.SECONDS));
        p.kill();
        p.signal(15);
        assertThrows(IllegalArgumentException.class, () -> p.signal(0), "a bad number would end the spawner");
        // The link still works.
        assertEquals(new ExitStatus.Exited(0), Sandboxes.run(spawner.client(), sandbox(spawner.root(), "/bin/true").build()).status());
    }
}
