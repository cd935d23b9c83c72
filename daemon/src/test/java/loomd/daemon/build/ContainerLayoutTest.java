package loomd.daemon.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import loomd.spawner.Bind;
import loomd.spawner.IdMapping;
import loomd.spawner.Namespace;
import loomd.spawner.ProcessGroup;
import loomd.spawner.SpawnRequest;

/** daemon.md §4.8 (container) and §4.9 (no container), checked on disk and on the spawn request. */
class ContainerLayoutTest {
    static final String S = "/gnu/store";
    static final String DRV = S + "/xxjcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv";
    static final String BUSYBOX = S + "/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox";
    static final String LINK = S + "/0000000000000000000000000000000a-link";
    static final String OUT = S + "/56dymnhgq4a9z00cipb5bdpmpwjhgx2b-build-simple";

    @TempDir
    Path dir;

    ContainerLayout layout(boolean chroot, boolean fixed, BuildIdentity id, List<String> chrootDirs) throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        Files.createDirectories(store.resolve(BUSYBOX.substring(S.length() + 1)).resolve("bin"));
        if (!Files.exists(store.resolve(LINK.substring(S.length() + 1)), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(store.resolve(LINK.substring(S.length() + 1)), Path.of(BUSYBOX));
        }
        Files.createDirectories(store.resolve(OUT.substring(S.length() + 1)));
        BuildDirectory bd = BuildDirectory.create(Files.createDirectories(dir.resolve("tmp")), "build-simple.drv", chroot,
                id instanceof BuildIdentity.BuildUser u ? Optional.of(u) : Optional.empty());
        return new ContainerLayout(chroot, S, store, DRV, bd, Set.of(BUSYBOX, LINK, OUT), Set.of(OUT), fixed, id,
                chrootDirs, ContainerLayout.personality("x86_64-linux", "x86_64-linux", false));
    }

    static BuildEnvironment env(String top) {
        var drv = BuildEnvironmentTest.simple(Map.of());
        return BuildEnvironment.forDerivation(drv).storeDir(S).buildCores(0).buildDirInSandbox(top)
                .daemonEnvironment(Map.of()).build();
    }

    static int mode(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
    }

    @Test
    void theContainerDirectoryHoldsExactlyUpstreamsFiles() throws Exception {
        ContainerLayout c = layout(true, false, new BuildIdentity.Guest(0, 0), List.of());
        c.prepare();
        assertEquals(dir.resolve("store/xxjcyhvp3022y7gcad64az5b1k6smlkz-build-simple.drv.chroot"), c.containerDir());
        assertEquals(0750, mode(c.containerDir()));
        assertEquals(0750, mode(c.top()));
        assertEquals(01777, mode(c.top().resolve("tmp")));
        assertEquals(01775, mode(c.fakeStore()));
        assertEquals("nixbld:x:30001:30000:Nix build user:/:/noshell\nnobody:x:65534:65534:Nobody:/:/noshell\n",
                Files.readString(c.top().resolve("etc/passwd")));
        assertEquals("nixbld:!:30000:\n", Files.readString(c.top().resolve("etc/group")));
        assertEquals("127.0.0.1 localhost\n", Files.readString(c.top().resolve("etc/hosts")));
        Path link = c.fakeStore().resolve("0000000000000000000000000000000a-link");
        assertEquals(Path.of(BUSYBOX), Files.readSymbolicLink(link), "symlink inputs are recreated, not bound");
        try (var entries = Files.list(c.top())) {
            assertEquals(Set.of("etc", "gnu", "tmp"), Set.copyOf(entries.map(p -> p.getFileName().toString()).toList()));
        }
        c.delete();
        assertFalse(Files.exists(c.containerDir()));
    }

    @Test
    void aLeftoverContainerIsReplaced() throws Exception {
        ContainerLayout c = layout(true, false, new BuildIdentity.Guest(0, 0), List.of());
        Files.createDirectories(c.top().resolve("junk/deep"));
        c.prepare();
        assertFalse(Files.exists(c.top().resolve("junk")));
    }

    @Test
    void buildUsersAppearInPasswdAndOwnTheFakeStoreGroup() throws Exception {
        var user = new BuildIdentity.BuildUser(30101, 30100, List.of(30100, 4242));
        ContainerLayout c = layout(true, false, user, List.of());
        c.prepare();
        assertTrue(Files.readString(c.top().resolve("etc/passwd")).startsWith("nixbld:x:30101:30100:Nix build user:/:/noshell\n"));
        assertEquals("nixbld:!:30100:\n", Files.readString(c.top().resolve("etc/group")));
        assertEquals(30100, Files.getAttribute(c.fakeStore(), "unix:gid"));
        assertEquals(30101, Files.getAttribute(c.buildDir().builderDir(), "unix:uid"));
        SpawnRequest r = c.request(env(c.buildDir().inSandbox())).build();
        assertFalse(r.namespaces().contains(Namespace.USER), "a root daemon with build users needs no user namespace");
        assertEquals(new loomd.spawner.Identity(30101, 30100, List.of(30100, 4242)), r.identity().orElseThrow());
        assertFalse(r.lockMounts());
    }

    @Test
    void theRequestIsTheFullSandbox() throws Exception {
        ContainerLayout c = layout(true, false, new BuildIdentity.Guest(0, 0), List.of("/opt/x=/srv/y", "/srv/z"));
        SpawnRequest r = c.request(env(c.buildDir().inSandbox())).build();
        assertEquals(Set.of(Namespace.MOUNT, Namespace.PID, Namespace.IPC, Namespace.UTS, Namespace.NET, Namespace.USER),
                r.namespaces());
        assertEquals(Optional.of(new IdMapping(30001, 0, 30000, 0)), r.idMapping());
        assertEquals("localhost", r.hostname());
        assertTrue(r.loopbackUp() && r.mountProc() && r.minimalDev() && r.chmodRootReadOnly() && r.lockMounts());
        assertEquals(c.top().toString(), r.root());
        assertEquals("/tmp/guix-build-build-simple.drv-0", r.cwd());
        assertEquals(ProcessGroup.NEW_SESSION, r.processGroup());
        assertEquals(0x0040000, r.personality().getAsInt());
        assertEquals(1000, r.oomScoreAdj().getAsInt());
        assertEquals(S + "/8rf4p72mqhs27mbwlb2j98h6g2l15hgj-busybox/bin/busybox", r.program());
        Path store = dir.resolve("store");
        assertEquals(List.of(
                new Bind(c.fakeStore().toString(), S, false),
                new Bind(c.top().resolve("tmp").toString(), "/tmp", false),
                new Bind(store.resolve(BUSYBOX.substring(S.length() + 1)).toString(), BUSYBOX, true),
                new Bind("/srv/y", "/opt/x", false),
                new Bind("/srv/z", "/srv/z", false),
                new Bind(c.buildDir().builderDir().toString(), "/tmp/guix-build-build-simple.drv-0", false)), r.binds(),
                "outputs and symlink inputs are not bound; store sources are read-only");
    }

    @Test
    void fixedOutputBuildsShareTheNetworkAndGetTheResolverFilesButNoHostsFile() throws Exception {
        ContainerLayout c = layout(true, true, new BuildIdentity.Guest(0, 0), List.of());
        c.prepare();
        assertFalse(Files.exists(c.top().resolve("etc/hosts")));
        SpawnRequest r = c.request(env(c.buildDir().inSandbox())).build();
        assertFalse(r.namespaces().contains(Namespace.NET));
        for (String f : ContainerLayout.RESOLVER_FILES) {
            assertEquals(Files.exists(Path.of(f)), r.binds().contains(new Bind(f, f, false)), f);
        }
    }

    @Test
    void aBoundDevReplacesTheMinimalDev() throws Exception {
        ContainerLayout c = layout(true, false, new BuildIdentity.Guest(0, 0), List.of("/dev"));
        SpawnRequest r = c.request(env(c.buildDir().inSandbox())).build();
        assertFalse(r.minimalDev());
        assertFalse(r.devPts());
        assertTrue(r.binds().contains(new Bind("/dev", "/dev", false)));
    }

    @Test
    void withoutChrootTheBuilderRunsInTheRealBuildDirectory() throws Exception {
        ContainerLayout c = layout(false, false, new BuildIdentity.Guest(0, 0), List.of());
        assertEquals(c.buildDir().builderDir().toString(), c.buildDir().inSandbox());
        assertTrue(c.buildDir().inSandbox().matches(".*/guix-build-build-simple\\.drv-0"), c.buildDir().inSandbox());
        SpawnRequest r = c.request(env(c.buildDir().inSandbox())).build();
        assertTrue(r.namespaces().isEmpty());
        assertEquals("", r.root());
        assertTrue(r.binds().isEmpty());
        assertEquals(c.buildDir().inSandbox(), r.cwd());
        assertEquals(ProcessGroup.NEW_SESSION, r.processGroup());
    }

    @Test
    void buildDirectoriesCountUp() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp2"));
        var first = BuildDirectory.create(tmp, "x.drv", true, Optional.empty());
        var second = BuildDirectory.create(tmp, "x.drv", true, Optional.empty());
        assertEquals(tmp.toRealPath().resolve("guix-build-x.drv-0"), first.outer());
        assertEquals(tmp.toRealPath().resolve("guix-build-x.drv-1"), second.outer());
        assertEquals(second.outer().resolve("top"), second.builderDir());
        assertEquals("/tmp/guix-build-x.drv-0", second.inSandbox(), "inside a chroot it is always -0");
        assertEquals(0700, mode(second.outer()));
        assertEquals(0700, mode(second.builderDir()));
    }

    @Test
    void personalityFollowsUpstream() {
        assertEquals(0x0040000, ContainerLayout.personality("x86_64-linux", "x86_64-linux", false));
        assertEquals(0x0040008, ContainerLayout.personality("i686-linux", "x86_64-linux", false));
        assertEquals(0x0060008, ContainerLayout.personality("i686-linux", "x86_64-linux", true));
        assertEquals(0x0040008, ContainerLayout.personality("armhf-linux", "aarch64-linux", true));
    }
}
