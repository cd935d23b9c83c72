package loomd.test.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildMode;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.DaemonException;
import loomd.protocol.client.StoreClient;
import loomd.protocol.drv.Derivation;
import loomd.test.support.DaemonFixture;

/** {@code exportReferencesGraph} (daemon.md §4.6): the files upstream writes, and its errors. */
class ExportReferencesGraphTest {
    @RegisterExtension
    static final DaemonFixture daemon = new DaemonFixture();

    @TempDir
    Path tmp;
    StoreClient client;
    Derivations drvs;
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0, "chroot builds need root here");
        client = daemon.client(ClientOptions.DEFAULT.withLog(new BuildEvents(events::add)));
        client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withUseSubstitutes(false));
        drvs = new Derivations(daemon.process(), client);
        drvs.addBusybox(tmp);
    }

    @Test
    void theClosureAndTheOutputsOfDerivationsInItAreWrittenInRegistrationFormat() throws Exception {
        Derivation a = drvs.make("graph-input", "echo " + Derivations.BUSYBOX + " > $out");
        String aDrv = drvs.add(a);
        String aOut = a.outputs().get("out").path();
        client.buildPaths(List.of(aDrv), BuildMode.NORMAL);
        Derivation b = drvs.make("graph-user", "cat out-graph drv-graph > $out", List.of("out"),
                Map.of(aDrv, List.of("out")), Map.of("exportReferencesGraph", "out-graph " + aOut + "/sub drv-graph " + aDrv),
                null);
        String bDrv = drvs.add(b);
        client.buildPaths(List.of(bDrv), BuildMode.NORMAL);
        String bb = Derivations.BUSYBOX;
        String outGraph = entries(new TreeSet<>(List.of(aOut, bb)), aOut, bb);
        String drvGraph = entries(new TreeSet<>(List.of(aOut, bb, aDrv)), aOut, bb);
        assertEquals(outGraph + drvGraph, Files.readString(drvs.physical(b.outputs().get("out").path())));
    }

    /** Each path with no deriver and its references: busybox none, the output and the .drv busybox. */
    private static String entries(TreeSet<String> paths, String aOut, String bb) {
        StringBuilder sb = new StringBuilder();
        for (String p : paths) {
            sb.append(p).append("\n\n");
            sb.append(p.equals(bb) ? "0\n" : "1\n" + bb + "\n");
        }
        return sb.toString();
    }

    @Test
    void aNonStorePathFailsTheGoalWithUpstreamsErrorAndTraceCode0() throws Exception {
        Derivation d = drvs.make("graph-bad", "echo x > $out", List.of("out"), Map.of(),
                Map.of("exportReferencesGraph", "g /etc/passwd"), null);
        String drv = drvs.add(d);
        DaemonException e = assertThrows(DaemonException.class, () -> client.buildPaths(List.of(drv), BuildMode.NORMAL));
        assertEquals(100, e.status());
        String message = "`exportReferencesGraph' contains a non-store path `/etc/passwd'";
        List<String> failed = events.stream().filter(ev -> ev instanceof BuildEvents.Trace t && t.name().equals("build-failed"))
                .map(ev -> String.join(" ", ((BuildEvents.Trace) ev).fields())).toList();
        assertEquals(List.of(drv + " - 0 " + message), failed);
        assertEquals(1, events.stream().filter(ev -> ev instanceof BuildEvents.Log l && l.text().equals(message + "\n")).count());
    }
}
