package loomd.locker;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The daemon-locker protocol. Every message is a frame: a 4-byte big-endian length, then the body.
 * Request bodies start with the request id and an op byte; reply bodies with the id of the request they
 * answer and a status byte. Replies may come in any order. A {@link Request.LockFd} carries one fd by
 * SCM_RIGHTS, sent no later than the frame's own bytes; the receiver queues fds in arrival order and
 * gives each LockFd frame the next one. The native locker's {@code locker.h} mirrors the codes
 * ({@code LockerHeaderTest} holds the two equal); {@code locker.c} decodes and encodes the same frames.
 */
final class Wire {
    static final int MAX_FRAME = 1 << 20;
    static final int FLAG_NO_CREATE = 1;
    static final int FLAG_REOPEN_IF_STALE = 2;

    private Wire() {}

    sealed interface Request {
        long id();

        /** Open (creating, unless FLAG_NO_CREATE) and lock a file by path inside the locker. */
        record LockPath(long id, long owner, LockMode mode, Wait waiting, int flags, String path) implements Request {}

        /** Lock the fd that travels with this frame. */
        record LockFd(long id, long owner, LockMode mode, Wait waiting) implements Request {}

        /** Convert a held lock to another mode (upgrade may wait; downgrade never does). */
        record Relock(long id, long lockId, LockMode mode, Wait waiting) implements Request {}

        /** Drop a lock; with delete, first unlink its path and write "d" into it (upstream's deletion). */
        record Unlock(long id, long lockId, boolean delete) implements Request {}

        /** Drop every lock of an owner and cancel its waiting requests. */
        record ReleaseAll(long id, long owner) implements Request {}

        /** Cancel a waiting request; it is answered with {@link Reply.Cancelled}. */
        record Cancel(long id, long target) implements Request {}

        record Stats(long id) implements Request {}
    }

    sealed interface Reply {
        long id();

        record Locked(long id, long lockId, long size) implements Reply {}

        /** The lock is taken; holderPid is -1 for an OFD holder (another loomd session), 0 if unknown. */
        record Busy(long id, int holderPid) implements Reply {}

        record Failed(long id, int errno, String message) implements Reply {}

        record Cancelled(long id) implements Reply {}

        record Done(long id, long count) implements Reply {}

        /**
         * Answer to ReleaseAll: {@code lastLockId} is the highest lock id handed out when the owner's locks were
         * dropped, so a Locked reply with a lower id that arrives later names a lock already released.
         */
        record Released(long id, long count, long lastLockId) implements Reply {}

        record StatsReply(long id, int heldLocks, int waiting, int owners, int openFds) implements Reply {}
    }

    private static final byte OP_LOCK_PATH = 1;
    private static final byte OP_LOCK_FD = 2;
    private static final byte OP_RELOCK = 3;
    private static final byte OP_UNLOCK = 4;
    private static final byte OP_RELEASE_ALL = 5;
    private static final byte OP_CANCEL = 6;
    private static final byte OP_STATS = 7;

    private static final byte ST_LOCKED = 1;
    private static final byte ST_BUSY = 2;
    private static final byte ST_FAILED = 3;
    private static final byte ST_CANCELLED = 4;
    private static final byte ST_DONE = 5;
    private static final byte ST_STATS = 6;
    private static final byte ST_RELEASED = 7;

    static byte[] encode(Request request) {
        return frame(out -> {
            out.writeLong(request.id());
            switch (request) {
                case Request.LockPath r -> {
                    out.writeByte(OP_LOCK_PATH);
                    writeLockHeader(out, r.owner(), r.mode(), r.waiting());
                    out.writeByte(r.flags());
                    writeString(out, r.path());
                }
                case Request.LockFd r -> {
                    out.writeByte(OP_LOCK_FD);
                    writeLockHeader(out, r.owner(), r.mode(), r.waiting());
                }
                case Request.Relock r -> {
                    out.writeByte(OP_RELOCK);
                    writeLockHeader(out, r.lockId(), r.mode(), r.waiting());
                }
                case Request.Unlock r -> {
                    out.writeByte(OP_UNLOCK);
                    out.writeLong(r.lockId());
                    out.writeBoolean(r.delete());
                }
                case Request.ReleaseAll r -> {
                    out.writeByte(OP_RELEASE_ALL);
                    out.writeLong(r.owner());
                }
                case Request.Cancel r -> {
                    out.writeByte(OP_CANCEL);
                    out.writeLong(r.target());
                }
                case Request.Stats r -> out.writeByte(OP_STATS);
            }
        });
    }

    static Request decodeRequest(byte[] body) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        long id = in.readLong();
        byte op = in.readByte();
        return switch (op) {
            case OP_LOCK_PATH -> {
                long owner = in.readLong();
                LockMode mode = readMode(in);
                Wait wait = readWait(in);
                int flags = in.readUnsignedByte();
                yield new Request.LockPath(id, owner, mode, wait, flags, readString(in));
            }
            case OP_LOCK_FD -> new Request.LockFd(id, in.readLong(), readMode(in), readWait(in));
            case OP_RELOCK -> new Request.Relock(id, in.readLong(), readMode(in), readWait(in));
            case OP_UNLOCK -> new Request.Unlock(id, in.readLong(), in.readBoolean());
            case OP_RELEASE_ALL -> new Request.ReleaseAll(id, in.readLong());
            case OP_CANCEL -> new Request.Cancel(id, in.readLong());
            case OP_STATS -> new Request.Stats(id);
            default -> throw new IOException("unknown locker op " + op);
        };
    }

    static byte[] encode(Reply reply) {
        return frame(out -> {
            out.writeLong(reply.id());
            switch (reply) {
                case Reply.Locked r -> {
                    out.writeByte(ST_LOCKED);
                    out.writeLong(r.lockId());
                    out.writeLong(r.size());
                }
                case Reply.Busy r -> {
                    out.writeByte(ST_BUSY);
                    out.writeInt(r.holderPid());
                }
                case Reply.Failed r -> {
                    out.writeByte(ST_FAILED);
                    out.writeInt(r.errno());
                    writeString(out, r.message());
                }
                case Reply.Cancelled r -> out.writeByte(ST_CANCELLED);
                case Reply.Done r -> {
                    out.writeByte(ST_DONE);
                    out.writeLong(r.count());
                }
                case Reply.Released r -> {
                    out.writeByte(ST_RELEASED);
                    out.writeLong(r.count());
                    out.writeLong(r.lastLockId());
                }
                case Reply.StatsReply r -> {
                    out.writeByte(ST_STATS);
                    out.writeInt(r.heldLocks());
                    out.writeInt(r.waiting());
                    out.writeInt(r.owners());
                    out.writeInt(r.openFds());
                }
            }
        });
    }

    static Reply decodeReply(byte[] body) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        long id = in.readLong();
        byte status = in.readByte();
        return switch (status) {
            case ST_LOCKED -> new Reply.Locked(id, in.readLong(), in.readLong());
            case ST_BUSY -> new Reply.Busy(id, in.readInt());
            case ST_FAILED -> new Reply.Failed(id, in.readInt(), readString(in));
            case ST_CANCELLED -> new Reply.Cancelled(id);
            case ST_DONE -> new Reply.Done(id, in.readLong());
            case ST_RELEASED -> new Reply.Released(id, in.readLong(), in.readLong());
            case ST_STATS -> new Reply.StatsReply(id, in.readInt(), in.readInt(), in.readInt(), in.readInt());
            default -> throw new IOException("unknown locker reply status " + status);
        };
    }

    /**
     * Splits a byte stream into frame bodies. Feed it what the socket gave; it hands out whole bodies.
     */
    static final class Deframer {
        private byte[] buffer = new byte[64 * 1024];
        private int start;
        private int end;

        byte[] space(int atLeast) {
            if (buffer.length - end < atLeast) {
                compact(atLeast);
            }
            return buffer;
        }

        int writeOffset() {
            return end;
        }

        void wrote(int n) {
            end += n;
        }

        /** The next complete body, or null if more bytes are needed. */
        byte[] next() throws IOException {
            if (end - start < 4) {
                return null;
            }
            int length = ((buffer[start] & 0xff) << 24) | ((buffer[start + 1] & 0xff) << 16)
                    | ((buffer[start + 2] & 0xff) << 8) | (buffer[start + 3] & 0xff);
            if (length < 0 || length > MAX_FRAME) {
                throw new IOException("locker frame of " + length + " bytes is out of bounds");
            }
            if (end - start - 4 < length) {
                return null;
            }
            byte[] body = java.util.Arrays.copyOfRange(buffer, start + 4, start + 4 + length);
            start += 4 + length;
            return body;
        }

        private void compact(int atLeast) {
            int live = end - start;
            byte[] target = buffer.length - live >= atLeast ? buffer : new byte[Math.max(buffer.length * 2, live + atLeast)];
            System.arraycopy(buffer, start, target, 0, live);
            buffer = target;
            start = 0;
            end = live;
        }
    }

    private interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] frame(Body body) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(0);
            body.write(out);
            out.flush();
            byte[] frame = bytes.toByteArray();
            int length = frame.length - 4;
            frame[0] = (byte) (length >>> 24);
            frame[1] = (byte) (length >>> 16);
            frame[2] = (byte) (length >>> 8);
            frame[3] = (byte) length;
            return frame;
        } catch (IOException e) {
            throw new IllegalStateException("in-memory write failed", e);
        }
    }

    private static void writeLockHeader(DataOutputStream out, long subject, LockMode mode, Wait wait)
            throws IOException {
        out.writeLong(subject);
        out.writeByte(mode.ordinal());
        out.writeByte(wait.ordinal());
    }

    private static LockMode readMode(DataInputStream in) throws IOException {
        int m = in.readUnsignedByte();
        if (m >= LockMode.values().length) {
            throw new IOException("bad lock mode " + m);
        }
        return LockMode.values()[m];
    }

    private static Wait readWait(DataInputStream in) throws IOException {
        int w = in.readUnsignedByte();
        if (w >= Wait.values().length) {
            throw new IOException("bad wait mode " + w);
        }
        return Wait.values()[w];
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_FRAME) {
            throw new IOException("bad string length " + n);
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
}
