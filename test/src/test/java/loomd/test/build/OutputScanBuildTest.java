package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.DaemonException;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/**
 * Reference scanning and a reference restriction through the real daemon (the scanner's own tests feed
 * it bytes; these build with busybox in the sandbox and ask the database what was registered).
 */
class OutputScanBuildTest {
    /**
     * Where the file's contents start in the NAR of a directory holding one regular file {@code data}:
     * 13 strings before the contents ("nix-archive-1", "(", "type", "directory", "entry", "(", "name",
     * "data", "node", "(", "type", "regular", "contents", each length-prefixed and padded) and its length.
     */
    static final int CONTENTS_AT = 248;

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    @TempDir
    Path tmp;
    BuildSession s;

    @BeforeEach
    void setUp() throws Exception {
        s = BuildSession.withBusybox(daemon, tmp);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (s != null) s.close();
    }

    @Test
    void aReferenceAcrossA4096ByteBoundaryAndInASymlinkTargetAreFound() throws Exception {
        // the hash part (after "/gnu/store/") starts 16 bytes before NAR offset 4096, so the 4096-byte
        // reads of the NAR stream split it in the middle
        int pad = 4096 - 16 - CONTENTS_AT - "/gnu/store/".length();
        Derivation d = s.drvs.make("scanned", "mkdir $out $lib $doc; head -c " + pad + " /dev/zero | tr '\\0' x > $out/data; "
                + "printf " + Derivations.BUSYBOX + " >> $out/data; ln -s " + Derivations.BB + " $lib/link; echo plain > $doc/text",
                List.of("out", "lib", "doc"), Map.of(), Map.of(), null);
        String drv = s.drvs.add(d);
        assertTrue(s.client.buildPaths(List.of(drv), BuildMode.NORMAL), s.messages());
        Path data = s.drvs.physical(d.outputs().get("out").path()).resolve("data");
        assertEquals(pad + Derivations.BUSYBOX.length(), Files.size(data));
        assertEquals(List.of(Derivations.BUSYBOX), s.client.queryReferences(d.outputs().get("out").path()), "split hash");
        assertEquals(List.of(Derivations.BUSYBOX), s.client.queryReferences(d.outputs().get("lib").path()), "symlink target");
        assertEquals(List.of(), s.client.queryReferences(d.outputs().get("doc").path()), "no reference: none found");
    }

    @Test
    void aDisallowedReferenceRejectsTheOutputAndRegistersNothing() throws Exception {
        Derivation d = s.drvs.make("disallowed", "echo " + Derivations.BB + " > $out", List.of("out"), Map.of(),
                Map.of("disallowedReferences", Derivations.BUSYBOX), null);
        String drv = s.drvs.add(d);
        String out = d.outputs().get("out").path();
        DaemonException e = assertThrows(DaemonException.class, () -> s.client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals("build of `" + drv + "' failed", e.getMessage());
        String message = "output (`" + out + "') is not allowed to refer to path `" + Derivations.BUSYBOX + "'";
        assertTrue(s.messages().contains(message + "\n"), s.messages());
        assertEquals(List.of(drv + " - 1 " + message), s.traces("build-failed"));
        assertFalse(s.client.isValidPath(out));
    }
}
