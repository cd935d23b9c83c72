package loomd.test.build;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;

/** A client of the real daemon with guix build's options and everything the daemon told it, split as the client splits it. */
final class BuildSession implements AutoCloseable {
    final StoreClient client;
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());

    BuildSession(DaemonFixture daemon) throws Exception {
        client = daemon.client(ClientOptions.DEFAULT.withLog(new BuildEvents(events::add)));
        options(o -> o);
    }

    static BuildSession open(DaemonFixture daemon) throws Exception {
        return new BuildSession(daemon);
    }

    /** The derivation maker of {@link #withBusybox}. */
    Derivations drvs;

    /** A session with busybox in the store, for chroot builds (root only: the test is skipped otherwise). */
    static BuildSession withBusybox(DaemonFixture daemon, java.nio.file.Path tmp) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(new com.sun.security.auth.module.UnixSystem().getUid() == 0,
                "chroot builds need root here");
        BuildSession s = open(daemon);
        s.drvs = new Derivations(daemon.process(), s.client);
        s.drvs.addBusybox(tmp);
        return s;
    }

    /** guix build's defaults without substitutes, changed by {@code change}. */
    void options(UnaryOperator<BuildOptions> change) throws Exception {
        client.setOptions(change.apply(BuildOptions.defaults().withPrintBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUseSubstitutes(false)));
    }

    List<String> traces(String name) {
        synchronized (events) {
            return events.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals(name))
                    .map(e -> String.join(" ", ((BuildEvents.Trace) e).fields())).toList();
        }
    }

    /** The daemon's own messages (not builder output, not traces), concatenated. */
    String messages() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> {
                if (e instanceof BuildEvents.Log l && l.pid().isEmpty()) sb.append(l.text());
            });
        }
        return sb.toString();
    }

    /** The builder's output, concatenated. */
    String builderOutput() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> {
                if (e instanceof BuildEvents.Log l && l.pid().isPresent()) sb.append(l.text());
            });
        }
        return sb.toString();
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
