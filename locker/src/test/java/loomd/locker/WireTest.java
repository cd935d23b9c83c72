package loomd.locker;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class WireTest {
    @Test
    void everyMessageSurvivesARoundTripThroughTheDeframer() throws Exception {
        List<Wire.Request> requests = List.of(
                new Wire.Request.LockPath(1, 7, LockMode.SHARED, Wait.WAIT, Wire.FLAG_NO_CREATE, "/gnu/store/é.lock"),
                new Wire.Request.LockFd(2, 7, LockMode.EXCLUSIVE, Wait.TRY),
                new Wire.Request.Relock(3, 99, LockMode.EXCLUSIVE, Wait.WAIT),
                new Wire.Request.Unlock(4, 99, true),
                new Wire.Request.ReleaseAll(5, 7),
                new Wire.Request.Cancel(6, 1),
                new Wire.Request.Stats(7));
        List<Wire.Reply> replies = List.of(new Wire.Reply.Locked(1, 5, 0), new Wire.Reply.Busy(2, -1),
                new Wire.Reply.Failed(3, 2, "no such file"), new Wire.Reply.Cancelled(4), new Wire.Reply.Done(5, 3),
                new Wire.Reply.Released(6, 2, 40), new Wire.Reply.StatsReply(7, 1, 2, 3, 4));
        Wire.Deframer frames = new Wire.Deframer();
        for (Wire.Request r : requests) {
            feed(frames, Wire.encode(r));
        }
        for (Wire.Request r : requests) {
            assertEquals(r, Wire.decodeRequest(frames.next()));
        }
        assertNull(frames.next());
        for (Wire.Reply r : replies) {
            byte[] frame = Wire.encode(r);
            // Byte by byte: a frame is only handed out once complete.
            for (int i = 0; i < frame.length - 1; i++) {
                feed(frames, new byte[] {frame[i]});
                assertNull(frames.next());
            }
            feed(frames, new byte[] {frame[frame.length - 1]});
            assertEquals(r, Wire.decodeReply(frames.next()));
        }
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IOException.class, () -> Wire.decodeRequest(new byte[] {0, 0, 0, 0, 0, 0, 0, 1, 42}));
        assertThrows(IOException.class, () -> Wire.decodeReply(new byte[] {0, 0, 0, 0, 0, 0, 0, 1, 42}));
        assertThrows(IOException.class, () -> Wire.decodeRequest(new byte[] {0, 0, 0}));
        byte[] lockPath = Wire.encode(new Wire.Request.LockFd(1, 1, LockMode.SHARED, Wait.TRY));
        byte[] badMode = Arrays.copyOfRange(lockPath, 4, lockPath.length);
        badMode[17] = 9;
        assertThrows(IOException.class, () -> Wire.decodeRequest(badMode));
        Wire.Deframer frames = new Wire.Deframer();
        feed(frames, new byte[] {0x7f, 0, 0, 0});
        assertThrows(IOException.class, frames::next);
    }

    private static void feed(Wire.Deframer frames, byte[] bytes) {
        byte[] buffer = frames.space(bytes.length);
        System.arraycopy(bytes, 0, buffer, frames.writeOffset(), bytes.length);
        frames.wrote(bytes.length);
    }
}
