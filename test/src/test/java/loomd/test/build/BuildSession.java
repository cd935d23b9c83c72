package loomd.test.build;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import loomd.protocol.client.BuildEvents;
import loomd.protocol.client.BuildOptions;
import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;
import loomd.test.support.DaemonFixture;

/**
 * A client session as {@code guix build} opens it (traces and multiplexed output on, no substitutes)
 * that records every message, trace and chunk of builder output it receives.
 */
final class BuildSession {
    final List<BuildEvents.Event> events = Collections.synchronizedList(new ArrayList<>());
    final StoreClient client;

    BuildSession(DaemonFixture daemon) throws Exception {
        client = daemon.client(ClientOptions.DEFAULT.withLog(new BuildEvents(events::add)));
        client.setOptions(BuildOptions.defaults().withPrintBuildTrace(true).withMultiplexedBuildOutput(true)
                .withUseSubstitutes(false));
    }

    /** The builders' output (the {@code @ build-log} payloads), concatenated. */
    String builderOutput() {
        StringBuilder sb = new StringBuilder();
        synchronized (events) {
            events.forEach(e -> {
                if (e instanceof BuildEvents.Log l && l.pid().isPresent()) sb.append(l.text());
            });
        }
        return sb.toString();
    }

    /** The fields of each {@code @ NAME} trace, joined by spaces. */
    List<String> traces(String name) {
        synchronized (events) {
            return events.stream().filter(e -> e instanceof BuildEvents.Trace t && t.name().equals(name))
                    .map(e -> String.join(" ", ((BuildEvents.Trace) e).fields())).toList();
        }
    }
}
