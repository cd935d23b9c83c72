package loomd.protocol.client;

import static loomd.protocol.client.ClientRequestVectorsTest.concat;
import static loomd.protocol.client.ClientRequestVectorsTest.wire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.OptionalLong;
import loomd.protocol.client.BuildEvents.Event;
import loomd.protocol.client.BuildEvents.Log;
import loomd.protocol.client.BuildEvents.Trace;
import loomd.protocol.wire.StderrCode;
import org.junit.jupiter.api.Test;

/** test-vectors.md §8: the trace frames become the events the Guix client's status.scm produced. */
class BuildEventsTest {
    private static final String DRV = "/gnu/store/njbxdcbzbzmq45mvbacn394jhjb0xr45-hello.drv";

    @Test
    void section8FramesThroughARealClientConnection() throws Exception {
        byte[] replies = wire(w -> {
            w.writeU64(StderrCode.NEXT);
            w.writeString("@ build-started " + DRV + " - x86_64-linux /var/log/guix/drvs/xx/yy.drv.gz 4242\n");
            w.writeU64(StderrCode.NEXT);
            w.writeString("@ build-log 4242 6\nhello\n");
            w.writeU64(StderrCode.NEXT);
            w.writeString("@ build-succeeded " + DRV + " -\n");
            w.writeU64(StderrCode.LAST);
            w.writeU64(1);
        });
        byte[] all = concat(HexFormat.of().parseHex("6f69786400000000640100000000000073746c6100000000"), replies);
        List<Event> events = new ArrayList<>();
        StoreClient c = StoreClient.open(new ByteArrayInputStream(all), new ByteArrayOutputStream(), null,
                ClientOptions.DEFAULT.withLog(new BuildEvents(events::add)));
        assertTrue(c.buildPaths(List.of(DRV), BuildMode.NORMAL));
        assertEquals(List.of(
                new Trace("build-started", List.of(DRV, "-", "x86_64-linux", "/var/log/guix/drvs/xx/yy.drv.gz", "4242")),
                new Log(OptionalLong.of(4242), "hello\n"),
                new Trace("build-succeeded", List.of(DRV, "-"))), events);
    }

    @Test
    void payloadsAreCountedInBytesAcrossFramesAndEmptyFieldsAreKept() {
        List<Event> events = new ArrayList<>();
        BuildEvents parser = new BuildEvents(events::add);
        parser.accept("@ build-log 7 7\nd\u00e9j");    // 4 of 7 bytes: é is two
        parser.accept("\u00e0\n");                    // the last 3 bytes
        parser.accept("plain text\r@ build-started " + DRV + " - x86_64-linux  7\n@ build-log 7 0\n");
        assertEquals(List.of(
                new Log(OptionalLong.of(7), "d\u00e9j\u00e0\n"),
                new Log(OptionalLong.empty(), "plain text\r"),
                new Trace("build-started", List.of(DRV, "-", "x86_64-linux", "", "7"))), events);
    }

    @Test
    void aMalformedLogHeaderIsJustATrace() {
        List<Event> events = new ArrayList<>();
        new BuildEvents(events::add).accept("@ build-log x 3\nabc\n");
        assertEquals(List.of(new Trace("build-log", List.of("x", "3")), new Log(OptionalLong.empty(), "abc\n")), events);
    }
}
