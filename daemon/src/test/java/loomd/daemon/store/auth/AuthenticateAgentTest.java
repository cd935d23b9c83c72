package loomd.daemon.store.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import loomd.daemon.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthenticateAgentTest {
    @TempDir Path dir;

    @Test
    void signThenVerifyRoundTripsThroughTheHelper() throws Exception {
        Path key = Files.writeString(dir.resolve("signing-key.sec"), "secret");
        String hex = "0123456789abcdef".repeat(4);
        try (AuthenticateAgent agent = new AuthenticateAgent(FakeAuthenticate.write(dir))) {
            String sig = agent.sign(key.toString(), hex);
            assertTrue(sig.startsWith("(signature "), sig);
            assertEquals(hex, agent.verify(sig));
            var e = assertThrows(StoreException.class, () -> agent.verify("(signature forged)"));
            assertEquals("invalid signature", e.getMessage());
            assertEquals(hex, agent.verify(sig), "the helper stays usable after an error reply");
        }
    }

    @Test
    void unconfiguredAndDeadHelpersGiveErrors() throws Exception {
        try (AuthenticateAgent none = new AuthenticateAgent(List.of())) {
            assertFalse(none.isConfigured());
            assertThrows(StoreException.class, () -> none.verify("x"));
        }
        try (AuthenticateAgent dead = new AuthenticateAgent(List.of("/bin/true"))) {
            var e = assertThrows(StoreException.class, () -> dead.verify("x"));
            // Which one depends on when the JDK notices the exit: EOF, EPIPE, or the pipe already closed.
            assertTrue(e.getMessage().contains("EOF") || e.getMessage().contains("Broken pipe")
                    || e.getMessage().contains("Stream closed"), e.getMessage());
        }
    }

    @Test
    void replyParsingFollowsUpstream() throws Exception {
        assertEquals("ab\ncd", AuthenticateAgent.readReply(in("0 5:ab\ncd")));
        var e = assertThrows(StoreException.class, () -> AuthenticateAgent.readReply(in("500 3:bad")));
        assertEquals("bad", e.getMessage());
        assertThrows(StoreException.class, () -> AuthenticateAgent.readReply(in("0 9:short")));
    }

    private static ByteArrayInputStream in(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
