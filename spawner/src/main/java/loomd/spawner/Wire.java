package loomd.spawner;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The frames of the spawner link (spawner.c, rule 2): u32 length of what follows, u32 type, body;
 * little-endian; strings are u32 length + bytes.
 *
 * <p>The {@code static final int} fields named as in {@code spawner.h} mirror it, name for name;
 * {@code SpawnerHeaderTest} reads the header and fails when either side changes alone.
 */
final class Wire {
    static final int REQ_SPAWN = 1;
    static final int REQ_KILL = 2;
    static final int REP_STARTED = 1;
    static final int REP_FAILED = 2;
    static final int REP_EXITED = 3;

    static final int F_NEWNS = 1;
    static final int F_NEWPID = 1 << 1;
    static final int F_NEWNET = 1 << 2;
    static final int F_NEWIPC = 1 << 3;
    static final int F_NEWUTS = 1 << 4;
    static final int F_NEWUSER = 1 << 5;
    static final int F_NEWPGRP = 1 << 6;
    static final int F_SETSID = 1 << 7;
    static final int F_PROC = 1 << 8;
    static final int F_DEV = 1 << 9;
    static final int F_DEVPTS = 1 << 10;
    static final int F_DEVSHM = 1 << 11;
    static final int F_LOOPBACK = 1 << 12;
    static final int F_SETIDS = 1 << 13;
    static final int F_ANNOUNCE = 1 << 14;
    static final int F_PERSONALITY = 1 << 15;
    static final int F_OOM_SCORE_ADJ = 1 << 16;
    static final int F_CHMOD_ROOT = 1 << 17;
    static final int F_LOCK_MOUNTS = 1 << 18;
    static final int F_KILL_USER = 1 << 19;
    static final int BIND_READONLY = 1;
    /** The highest child fd a request may name. */
    static final int MAX_TARGET_FD = 1023;

    /** Java's own bound on a reply frame (the header has none: replies are small). */
    static final int MAX_REPLY = 1 << 16;

    private Wire() {}

    /** One child fd fed from the {@code sourceIndex}-th fd sent with the frame. */
    record FdMapping(int target, int sourceIndex) {}

    /** A reply frame's type and body. */
    record Reply(int type, ByteBuffer body) {}

    static byte[] spawnFrame(long id, SpawnRequest r, List<FdMapping> fdMap) {
        Frame f = new Frame(REQ_SPAWN);
        f.u64(id);
        f.u32(flags(r));
        Identity who = r.identity().orElse(new Identity(0, 0, List.of()));
        f.u32(who.uid());
        f.u32(who.gid());
        f.u32(who.groups().size());
        who.groups().forEach(f::u32);
        IdMapping map = r.idMapping().orElse(new IdMapping(0, 0, 0, 0));
        f.u32(map.insideUid());
        f.u32(map.outsideUid());
        f.u32(map.insideGid());
        f.u32(map.outsideGid());
        f.u32(r.personality().orElse(0));
        f.u32(r.oomScoreAdj().orElse(0));
        f.string(r.program());
        f.string(r.cwd());
        f.string(r.root());
        f.string(r.hostname());
        f.strings(r.argv());
        f.strings(r.env());
        f.u32(r.binds().size());
        for (Bind b : r.binds()) {
            f.string(b.source());
            f.string(b.target());
            f.u32(b.readOnly() ? BIND_READONLY : 0);
        }
        f.u32(r.limits().size());
        for (ResourceLimit l : r.limits()) {
            f.u32(l.resource().number);
            f.u64(l.soft());
            f.u64(l.hard());
        }
        f.u32(fdMap.size());
        for (FdMapping m : fdMap) {
            f.u32(m.target());
            f.u32(m.sourceIndex());
        }
        return f.finish();
    }

    static byte[] killFrame(long id, int signal) {
        Frame f = new Frame(REQ_KILL);
        f.u64(id);
        f.u32(signal);
        return f.finish();
    }

    private static int flags(SpawnRequest r) {
        int flags = 0;
        for (Namespace ns : r.namespaces()) {
            flags |= ns.flag;
        }
        flags |= switch (r.processGroup()) {
            case SHARED -> 0;
            case NEW_GROUP -> F_NEWPGRP;
            case NEW_SESSION -> F_SETSID;
        };
        if (r.mountProc()) flags |= F_PROC;
        if (r.minimalDev()) flags |= F_DEV;
        if (r.devPts()) flags |= F_DEVPTS;
        if (r.devShm()) flags |= F_DEVSHM;
        if (r.loopbackUp()) flags |= F_LOOPBACK;
        if (r.identity().isPresent()) flags |= F_SETIDS;
        if (r.announceSetup()) flags |= F_ANNOUNCE;
        if (r.personality().isPresent()) flags |= F_PERSONALITY;
        if (r.oomScoreAdj().isPresent()) flags |= F_OOM_SCORE_ADJ;
        if (r.chmodRootReadOnly()) flags |= F_CHMOD_ROOT;
        if (r.lockMounts()) flags |= F_LOCK_MOUNTS;
        if (r.killUser()) flags |= F_KILL_USER;
        return flags;
    }

    static String string(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalStateException("bad string length " + n + " in spawner reply");
        }
        byte[] bytes = new byte[n];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static final class Frame {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Frame(int type) {
            u32(0);
            u32(type);
        }

        void u32(int v) {
            scratch.clear();
            scratch.putInt(v);
            out.write(scratch.array(), 0, 4);
        }

        void u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            out.write(scratch.array(), 0, 8);
        }

        void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u32(bytes.length);
            out.write(bytes, 0, bytes.length);
        }

        void strings(List<String> list) {
            u32(list.size());
            list.forEach(this::string);
        }

        byte[] finish() {
            byte[] frame = out.toByteArray();
            ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putInt(0, frame.length - 4);
            return frame;
        }
    }
}
