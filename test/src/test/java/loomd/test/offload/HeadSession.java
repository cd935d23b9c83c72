package loomd.test.offload;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.protocol.ops.SetOptions;
import loomd.test.build.Derivations;

/** A trusted client of the cluster's head, with busybox in its store and everything the head told it. */
final class HeadSession implements AutoCloseable {
    final StoreClient client;
    final Derivations drvs;
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());

    private HeadSession(NetnsCluster cluster) throws Exception {
        client = StoreClient.connectUnix(cluster.head().socketPath(),
                ClientOptions.DEFAULT.withLog(byLine(new BuildEvents(events::add))));
        drvs = new Derivations(cluster.head(), client);
    }

    /**
     * Hands {@code sink} whole lines, as Guix's client reads them: the head forwards the hook's output
     * in the chunks its pipe gave, so one message may hold several lines, or part of one.
     */
    private static java.util.function.Consumer<String> byLine(java.util.function.Consumer<String> sink) {
        StringBuilder pending = new StringBuilder();
        return text -> {
            synchronized (pending) {
                pending.append(text);
                for (int nl; (nl = pending.indexOf("\n")) >= 0; ) {
                    sink.accept(pending.substring(0, nl + 1));
                    pending.delete(0, nl + 1);
                }
            }
        };
    }

    static HeadSession open(NetnsCluster cluster, Path tmp) throws Exception {
        HeadSession s = new HeadSession(cluster);
        s.drvs.addBusybox(tmp);
        return s;
    }

    /**
     * guix build's options without substitutes, changed by {@code change}; postponed goals ask the
     * hook again after 1 s instead of upstream's 5 ({@code build-poll-interval}, a trusted override).
     */
    void options(UnaryOperator<BuildOptions> change) throws Exception {
        SetOptions o = change.apply(BuildOptions.defaults().withPrintBuildTrace(true).withUseSubstitutes(false))
                .toRequest();
        List<Map.Entry<String, String>> overrides = new ArrayList<>(o.overrides());
        overrides.add(Map.entry("build-poll-interval", "1"));
        client.call(new SetOptions(o.keepFailed(), o.keepGoing(), o.tryFallback(), o.verbosity(), o.jobLimits(),
                o.useBuildHook(), o.logging(), o.buildCores(), o.useSubstitutes(), overrides));
    }

    /** {@code BuildPaths} in normal mode; a failure carries everything the head said, to show why. */
    boolean build(List<String> drvPaths) throws Exception {
        try {
            return client.buildPaths(drvPaths, loomd.protocol.client.BuildMode.NORMAL);
        } catch (loomd.protocol.client.DaemonException e) {
            throw new AssertionError(e.getMessage().lines().findFirst().orElse("") + "\n" + transcript(), e);
        }
    }

    /** What the head said, traces included, for failure messages. */
    String transcript() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> sb.append(e instanceof BuildEvents.Log l ? l.text() : e + "\n"));
        }
        return sb.toString();
    }

    List<String> traces(String name) {
        synchronized (events) {
            return events.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals(name))
                    .map(e -> String.join(" ", ((BuildEvents.Trace) e).fields())).toList();
        }
    }

    /** Derivation to machine, from the stand-in's {@code @ build-remote DRV MACHINE} lines (the last wins). */
    Map<String, String> builtOn() {
        Map<String, String> on = new LinkedHashMap<>();
        for (String t : traces("build-remote")) {
            String[] f = t.split(" ");
            on.put(f[0], f[1]);
        }
        return on;
    }

    /** Everything that is not a trace line, concatenated. */
    String builderOutput() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> {
                if (e instanceof BuildEvents.Log l) sb.append(l.text());
            });
        }
        return sb.toString();
    }

    @Override
    public void close() throws Exception {
        client.close();
    }
}
