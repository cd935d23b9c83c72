package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import loomd.protocol.client.BuildMode;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/**
 * A download only Guile can finish ({@code content-addressed-mirrors}) goes to {@code guix
 * perform-download} when a {@code guix} is installed, as upstream runs it: here a stand-in script
 * named by {@code GUIX} that records its arguments and environment and writes the output.
 */
class BuiltinFallbackTest {
    static final String CONTENT = "from perform-download\n";

    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture(b -> {
        Path guix = Files.createDirectories(b.root().resolve("bin")).resolve("guix");
        Files.writeString(guix, "#!/bin/sh\n"
                + "if [ \"$1\" = offload ]; then while read -r _; do echo '# decline'; done; exit 0; fi\n"
                + "echo \"fake guix $1 $2 $3 NIX_STORE=$NIX_STORE\"\n"
                + "printf '" + CONTENT.replace("\n", "\\n") + "' > \"" + b.root() + "$3\"\n");
        Files.setPosixFilePermissions(guix, PosixFilePermissions.fromString("rwxr-xr-x"));
        return b.env("GUIX", guix.toString());
    });

    @Test
    void contentAddressedMirrorsGoToGuixPerformDownload() throws Exception {
        BuildSession session = new BuildSession(daemon);
        StoreClient client = session.client;
        Derivations drvs = new Derivations(daemon.process(), client);
        String cam = client.addTextToStore("content-addressed-mirrors", "(list (lambda (file algo hash) #f))", List.of());
        Derivation d = drvs.makeBuiltin("fallback.txt", "builtin:download",
                Map.of("url", "\"file:///nonexistent/fallback.txt\"", "content-addressed-mirrors", cam), List.of(cam),
                BuiltinDownloadTest.flat(CONTENT.getBytes()));
        String drv = drvs.add(d);
        String out = d.outputs().get("out").path();
        boolean built;
        try {
            built = client.buildPaths(List.of(drv), BuildMode.NORMAL);
        } catch (loomd.protocol.client.DaemonException e) {
            built = false;
        }
        String log = session.builderOutput();
        assertTrue(built, log + session.traces("build-failed"));
        assertEquals(CONTENT, Files.readString(drvs.physical(out)), log);
        assertTrue(client.isValidPath(out));
        assertTrue(log.contains("fake guix perform-download " + drv + " " + out + " NIX_STORE=/gnu/store\n"),
                log);
    }
}
