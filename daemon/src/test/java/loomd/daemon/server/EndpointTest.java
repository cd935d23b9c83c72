package loomd.daemon.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class EndpointTest {
    @Test
    void parsesLikeUpstream() {
        assertEquals(new Endpoint.Unix(Path.of("/var/guix/s")), Endpoint.parse("/var/guix//s"));
        assertEquals(new Endpoint.Tcp("localhost", 44146), Endpoint.parse("localhost"));
        assertEquals(new Endpoint.Tcp("127.0.0.1", 9), Endpoint.parse("127.0.0.1:9"));
        assertEquals(new Endpoint.Tcp("::1", 7), Endpoint.parse("[::1]:7"));
        assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("host:http"));
    }
}
