package loomd.posix;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.StandardProtocolFamily;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FdsTest {
    @TempDir
    Path dir;

    @Test
    void pipeCarriesBytesAndIsCloseOnExec() throws Exception {
        int[] p = Fds.pipe();
        try {
            assertTrue(Fds.isCloexec(p[0]) && Fds.isCloexec(p[1]));
            Fds.writeFully(p[1], "hello".getBytes(StandardCharsets.US_ASCII));
            byte[] buf = new byte[16];
            assertEquals(5, Fds.read(p[0], buf, 0, buf.length));
            assertEquals("hello", new String(buf, 0, 5, StandardCharsets.US_ASCII));
        } finally {
            Fds.close(p[0]);
            Fds.close(p[1]);
        }
    }

    @Test
    void closeOfClosedFdIsEbadf() throws Exception {
        int[] p = Fds.pipe();
        Fds.close(p[0]);
        Fds.close(p[1]);
        PosixException e = assertThrows(PosixException.class, () -> Fds.close(p[0]));
        assertEquals(Errno.EBADF, e.errno());
        assertEquals("close", e.call());
        assertTrue(e.getMessage().contains("Bad file descriptor"), e.getMessage());
    }

    @Test
    void dupAndDup2ShareTheFile() throws Exception {
        int[] p = Fds.pipe();
        int copy = Fds.dup(p[1]);
        int[] other = Fds.pipe();
        try {
            assertTrue(Fds.isCloexec(copy));
            Fds.dup2(p[1], other[1]);
            assertFalse(Fds.isCloexec(other[1]));
            Fds.writeFully(copy, new byte[] {1});
            Fds.writeFully(other[1], new byte[] {2});
            byte[] buf = new byte[2];
            int n = Fds.read(p[0], buf, 0, 2);
            if (n == 1) {
                n += Fds.read(p[0], buf, 1, 1);
            }
            assertArrayEquals(new byte[] {1, 2}, buf);
        } finally {
            for (int fd : new int[] {p[0], p[1], copy, other[0], other[1]}) {
                Fds.closeQuietly(fd);
            }
        }
    }

    @Test
    void openCreatesAndReportsErrorsWithThePath() throws Exception {
        Path file = dir.resolve("f");
        int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_EXCL | Fds.O_CLOEXEC, 0600);
        try {
            Fds.writeFully(fd, new byte[] {'d'});
            assertEquals(1, Fds.fstat(fd).size());
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(file)));
        } finally {
            Fds.close(fd);
        }
        PosixException e = assertThrows(PosixException.class,
                () -> Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_EXCL, 0600));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains(file.toString()));
        Fds.unlink(file.toString());
        assertEquals(Errno.ENOENT, assertThrows(PosixException.class,
                () -> Fds.open(file.toString(), Fds.O_RDONLY, 0)).errno());
    }

    @Test
    void fstatIdentifiesTheFile() throws Exception {
        Path file = Files.writeString(dir.resolve("g"), "abc");
        int a = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        int b = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        try {
            Fds.FileStat sa = Fds.fstat(a);
            assertEquals(sa, Fds.fstat(b));
            assertEquals(3, sa.size());
            assertEquals(Files.getAttribute(file, "unix:ino"), sa.inode());
        } finally {
            Fds.close(a);
            Fds.close(b);
        }
    }

    @Test
    void cloexecAndNonBlockingToggle() throws Exception {
        int[] p = Fds.pipe();
        try {
            Fds.setCloexec(p[0], false);
            assertFalse(Fds.isCloexec(p[0]));
            Fds.setCloexec(p[0], true);
            assertTrue(Fds.isCloexec(p[0]));
            Fds.setNonBlocking(p[0], true);
            assertTrue(Fds.isNonBlocking(p[0]));
            PosixException e = assertThrows(PosixException.class, () -> Fds.read(p[0], new byte[1], 0, 1));
            assertEquals(Errno.EAGAIN, e.errno());
            Fds.setNonBlocking(p[0], false);
            assertFalse(Fds.isNonBlocking(p[0]));
        } finally {
            Fds.close(p[0]);
            Fds.close(p[1]);
        }
    }

    @Test
    void openFdCountFollowsOpensAndCloses() throws Exception {
        int before = Fds.openFdCount();
        int[] p = Fds.pipe();
        int[] s = Fds.socketpair();
        assertEquals(before + 4, Fds.openFdCount());
        for (int fd : new int[] {p[0], p[1], s[0], s[1]}) {
            Fds.close(fd);
        }
        assertEquals(before, Fds.openFdCount());
    }

    @Test
    void fdOfFindsTheSocketAndPipeFds() throws Exception {
        Path socket = dir.resolve("s");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                    SocketChannel accepted = server.accept()) {
                int fd = Fds.fdOf(client);
                assertTrue(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("socket:"));
                assertNotEquals(fd, Fds.fdOf(accepted));
                // The fd really is the channel's: bytes written through it arrive at the peer.
                Fds.writeFully(fd, new byte[] {42});
                java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                accepted.read(one);
                assertEquals(42, one.get(0));
            }
        }
        Pipe pipe = Pipe.open();
        try {
            assertTrue(Files.readSymbolicLink(Path.of("/proc/self/fd/" + Fds.fdOf(pipe.source())))
                    .toString().startsWith("pipe:"));
        } finally {
            pipe.source().close();
            pipe.sink().close();
        }
    }

    @Test
    void fdOfRejectsOtherChannels() throws IOException {
        try (var fc = java.nio.channels.FileChannel.open(Files.createFile(dir.resolve("x")))) {
            assertThrows(IllegalArgumentException.class, () -> Fds.fdOf(fc));
        }
    }

    @Test
    void shutdownWakesABlockedReader() throws Exception {
        int[] s = Fds.socketpair();
        try {
            var result = new java.util.concurrent.CompletableFuture<Integer>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    result.complete(Fds.read(s[0], new byte[8], 0, 8));
                } catch (PosixException e) {
                    result.completeExceptionally(e);
                }
            });
            Thread.sleep(50);
            Fds.shutdown(s[0], Fds.SHUT_RDWR);
            assertEquals(0, result.get(5, java.util.concurrent.TimeUnit.SECONDS));
            reader.join();
        } finally {
            Fds.close(s[0]);
            Fds.close(s[1]);
        }
    }

    @Test
    void symlinkKeepsTheTargetByteForByte() throws Exception {
        Path link = dir.resolve("link");
        Fds.symlink("a//b/", link.toString());
        assertTrue(Files.isSymbolicLink(link));
        // lstat's size of a symlink is its target's length: the JDK would have stored "a/b" (3).
        assertEquals(5L, Files.readAttributes(link, "size", java.nio.file.LinkOption.NOFOLLOW_LINKS).get("size"));
        PosixException e = assertThrows(PosixException.class, () -> Fds.symlink("elsewhere", link.toString()));
        assertEquals(Errno.EEXIST, e.errno());
        assertTrue(e.getMessage().contains(link.toString()), e.getMessage());
    }

    @Test
    void syncfsFlushesTheFileSystemOfAnOpenFile() throws Exception {
        Path file = Files.writeString(dir.resolve("data"), "durable");
        int fd = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC, 0);
        try {
            Fds.syncfs(fd);
        } finally {
            Fds.close(fd);
        }
        assertEquals(Errno.EBADF, assertThrows(PosixException.class, () -> Fds.syncfs(-1)).errno());
        Throwable[] onVirtual = new Throwable[1];
        Thread.ofVirtual().start(() -> {
            try {
                Fds.syncfs(-1);
            } catch (Throwable t) {
                onVirtual[0] = t;
            }
        }).join();
        assertEquals(IllegalStateException.class, onVirtual[0].getClass(), "refused before the call");
    }
}
