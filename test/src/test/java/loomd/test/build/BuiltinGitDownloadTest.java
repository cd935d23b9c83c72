package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.eclipse.jgit.api.Git;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.protocol.drv.DerivationOutput;
import loomd.test.support.DaemonFixture;

/**
 * {@code builtin:git-download} through JGit in the real daemon: repositories made by the test, fetched
 * by {@code file://} URL, the checkout's NAR hash compared with the declared one.
 */
class BuiltinGitDownloadTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;
    BuildSession session;

    @BeforeEach
    void setUp() throws Exception {
        session = new BuildSession(daemon);
        client = session.client;
        drvs = new Derivations(daemon.process(), client);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** A repository with a file, an executable, a symlink, and (if asked) a submodule with a file of its own. */
    String makeRepository(Path main, boolean withSubmodule) throws Exception {
        Path sub = tmp.resolve("sub");
        if (withSubmodule) {
            try (Git git = Git.init().setDirectory(sub.toFile()).setInitialBranch("main").call()) {
                Files.writeString(sub.resolve("sub.txt"), "from the submodule\n");
                git.add().addFilepattern(".").call();
                git.commit().setMessage("sub").setSign(false).call();
            }
        }
        try (Git git = Git.init().setDirectory(main.toFile()).setInitialBranch("main").call()) {
            Files.writeString(main.resolve("README"), "read me\n");
            Path run = Files.createDirectories(main.resolve("bin")).resolve("run");
            Files.writeString(run, "#!/bin/sh\necho run\n");
            Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.createSymbolicLink(main.resolve("link"), Path.of("README"));
            git.add().addFilepattern(".").call();
            if (withSubmodule) {
                git.submoduleAdd().setPath("modules/sub").setURI("file://" + sub).call().close();
            }
            return git.commit().setMessage("main").setSign(false).call().getId().name();
        }
    }

    @Test
    void aRecursiveCheckoutWithSubmodulesMatchesItsNarHash() throws Exception {
        Path main = tmp.resolve("main");
        String commit = makeRepository(main, true);
        Path expected = withoutGit(main, tmp.resolve("expected"));
        assertTrue(Files.exists(expected.resolve("modules/sub/sub.txt")));
        Derivation d = drvs.makeBuiltin("checkout", "builtin:git-download",
                Map.of("url", "\"file://" + main + "\"", "commit", commit, "recursive?", "#t"), List.of(),
                BuiltinDownloadTest.recursive(expected));
        String drv = drvs.add(d);
        assertTrue(client.buildPaths(List.of(drv), BuildMode.NORMAL));
        Path out = drvs.physical(d.outputs().get("out").path());
        assertEquals("from the submodule\n", Files.readString(out.resolve("modules/sub/sub.txt")));
        assertTrue(Files.isExecutable(out.resolve("bin/run")));
        assertEquals(Path.of("README"), Files.readSymbolicLink(out.resolve("link")));
        assertFalse(Files.exists(out.resolve(".git"), LinkOption.NOFOLLOW_LINKS));
        assertFalse(Files.exists(out.resolve("modules/sub/.git"), LinkOption.NOFOLLOW_LINKS));
        assertEquals(drv, client.queryPathInfo(d.outputs().get("out").path()).deriver());
    }

    @Test
    void aCheckoutOfOtherContentFailsWithUpstreamsHashMismatch() throws Exception {
        Path main = tmp.resolve("plain");
        String commit = makeRepository(main, false);
        Path other = Files.writeString(tmp.resolve("other"), "not the checkout\n");
        Derivation d = drvs.makeBuiltin("plain-checkout", "builtin:git-download",
                Map.of("url", "\"file://" + main + "\"", "commit", commit, "recursive?", "#f"), List.of(),
                BuiltinDownloadTest.recursive(other));
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(1, e.status());
        assertTrue(e.getMessage().contains("build of `" + drv + "' failed"), e.getMessage());
        assertEquals(1, session.traces("hash-mismatch").size());
    }

    @Test
    void anUnknownCommitFails() throws Exception {
        Path main = tmp.resolve("small");
        makeRepository(main, false);
        Derivation d = drvs.makeBuiltin("small-checkout", "builtin:git-download",
                Map.of("url", "\"file://" + main + "\"", "commit", "0123456789abcdef0123456789abcdef01234567"),
                List.of(), BuiltinDownloadTest.recursive(Files.writeString(tmp.resolve("x"), "x")));
        assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drvs.add(d)), BuildMode.NORMAL));
        String log = session.builderOutput();
        assertTrue(log.contains("error: Git error: commit `0123456789abcdef0123456789abcdef01234567' not found"), log);
    }

    /** The work tree without any {@code .git}: what upstream's git-fetch leaves. */
    static Path withoutGit(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (dir.getFileName().toString().equals(".git")) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (!file.getFileName().toString().equals(".git")) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()), LinkOption.NOFOLLOW_LINKS,
                            StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return to;
    }
}
