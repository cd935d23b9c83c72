package loomd.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class PollTest {
    @Test
    void looksAgainUntilTheConditionHolds() {
        AtomicInteger looks = new AtomicInteger();
        assertTrue(Poll.until(Duration.ofSeconds(30), () -> looks.incrementAndGet() == 5));
        assertEquals(5, looks.get(), "stops at the first look that holds");
    }

    @Test
    void givesUpAtTheDeadlineWithTheLastValue() {
        AtomicInteger looks = new AtomicInteger();
        long start = System.nanoTime();
        int last = Poll.until(Duration.ofMillis(200), looks::incrementAndGet, n -> n < 0);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(ms >= 200, "waited " + ms + " ms");
        assertEquals(looks.get(), last, "the last value read");
        assertTrue(last > 1, "looked more than once: " + last);
        assertFalse(Poll.until(Duration.ZERO, () -> false), "a condition that never holds");
    }

    @Test
    void whatTheProbeThrowsReachesTheCaller() {
        IOException failure = new IOException("gone");
        IOException e = assertThrows(IOException.class, () -> Poll.until(Duration.ofSeconds(30), () -> {
            throw failure;
        }));
        assertSame(failure, e);
    }

    @Test
    void anInterruptEndsThePollingAndStaysSet() {
        Thread.currentThread().interrupt();
        try {
            assertFalse(Poll.until(Duration.ofSeconds(30), () -> false));
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }
}
