package loomd.daemon.store.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import loomd.daemon.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CanonicaliserTest {
    @TempDir Path dir;

    static Map<String, Object> stat(Path p) throws Exception {
        return Files.readAttributes(p, "unix:mode,uid,gid,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void aNewFileIsCanonicalAsWrittenAndReplacesAnyLeftoverWithoutWritingThroughIt() throws Exception {
        Canonicaliser c = new Canonicaliser(PosixIds.self());
        Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "keep");
        Path leftoverLink = Files.createSymbolicLink(dir.resolve("text-1"), elsewhere);
        Path leftoverDir = Files.createDirectories(dir.resolve("text-2/sub"));
        Files.setAttribute(leftoverDir, "unix:mode", 0555);
        Path fresh = dir.resolve("text-3");

        for (Path p : new Path[] {leftoverLink, leftoverDir.getParent(), fresh}) {
            c.writeNewFile(p, "contents".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertEquals("contents", Files.readString(p));
            assertEquals(0100444, (int) stat(p).get("mode"), p.toString());
            assertEquals(FileTime.fromMillis(1000), stat(p).get("lastModifiedTime"), p.toString());
            assertEquals(PosixIds.self().euid(), stat(p).get("uid"), p.toString());
        }
        assertEquals("keep", Files.readString(elsewhere));
    }

    @Test
    void setsModesMtimeAndOwnerEverywhere() throws Exception {
        Path top = Files.createDirectory(dir.resolve("item"));
        Path sub = Files.createDirectory(top.resolve("sub"));
        Path exe = Files.writeString(sub.resolve("tool"), "#!/bin/sh\n");
        Files.setAttribute(exe, "unix:mode", 04750);
        Path data = Files.writeString(top.resolve("data"), "x");
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rw-rw-rw-"));
        Path link = Files.createSymbolicLink(top.resolve("link"), Path.of("data"));
        if (PosixIds.self().euid() == 0) Files.setAttribute(data, "unix:uid", 12345, LinkOption.NOFOLLOW_LINKS);

        new Canonicaliser(PosixIds.self()).canonicalise(top, "/gnu/store/x-item");

        assertEquals(0555, (int) stat(top).get("mode") & 07777);
        assertEquals(0555, (int) stat(sub).get("mode") & 07777);
        assertEquals(0555, (int) stat(exe).get("mode") & 07777, "owner-exec gives 0555, setuid cleared");
        assertEquals(0444, (int) stat(data).get("mode") & 07777);
        for (Path p : new Path[] {top, sub, exe, data, link}) {
            assertEquals(FileTime.fromMillis(1000), stat(p).get("lastModifiedTime"), p.toString());
            assertEquals(PosixIds.self().euid(), stat(p).get("uid"), p.toString());
        }
        assertEquals(Path.of("data"), Files.readSymbolicLink(link));
    }

    @Test
    void refusesUnsupportedFileTypes() throws Exception {
        Path top = Files.createDirectory(dir.resolve("item"));
        Process p = new ProcessBuilder("mkfifo", top.resolve("fifo").toString()).start();
        assertEquals(0, p.waitFor());
        var e = assertThrows(StoreException.class,
                () -> new Canonicaliser(PosixIds.self()).canonicalise(top, "/gnu/store/x-item"));
        assertEquals("file \u2018/gnu/store/x-item/fifo\u2019 has an unsupported type", e.getMessage());
    }

    @Test
    void staleTempNamesOfDeadProcessesAreRemoved() throws Exception {
        TempNames names = new TempNames();
        String mine = names.next();
        assertTrue(TempNames.isTempName(mine));
        Path ownStale = Files.createDirectory(dir.resolve(mine));
        Files.writeString(ownStale.resolve("f"), "x");
        Files.setPosixFilePermissions(ownStale, PosixFilePermissions.fromString("r-xr-xr-x"));
        Path dead = Files.createDirectory(dir.resolve(TempNames.PREFIX + "999999999-1-a"));
        long livePid = ProcessHandle.current().parent().orElseThrow().pid();
        Path live = Files.createDirectory(dir.resolve(TempNames.PREFIX + livePid + "-1-a"));
        Path other = Files.createDirectory(dir.resolve("abc-valid"));
        assertEquals(2, TempNames.cleanStale(dir));
        assertFalse(Files.exists(ownStale));
        assertFalse(Files.exists(dead));
        assertTrue(Files.exists(live));
        assertTrue(Files.exists(other));
    }
}
