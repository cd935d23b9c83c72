package loomd.test.offload;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import loomd.protocol.client.ClientOptions;
import loomd.protocol.client.StoreClient;

/**
 * Build slots as the real {@code guix offload} keeps them: one lock file per machine and slot under
 * {@code V/offload/MACHINE/}, held by the hook process until it exits, so a killed hook frees its slot
 * without anyone cleaning up. A machine that refuses the connection is skipped, as the real one skips
 * machines it cannot reach.
 */
final class Slots {
    private Slots() {}

    /** A held slot on a machine, and the open connection to that machine's daemon. */
    record Slot(StandInOffload.Machine machine, FileChannel file, FileLock lock, StoreClient worker) {}

    /** The slot file of {@code machine}'s slot {@code k} under {@code slotDir} (tests check them too). */
    static Path file(Path slotDir, StandInOffload.Machine machine, int k) {
        return slotDir.resolve(machine.name()).resolve("slot-" + k);
    }

    /**
     * A free slot on the machine with the most free slots that answers, its connection's build log
     * going to fd 4 (§6.3: the log channel). Empty when every slot is taken or no machine answers.
     */
    static Optional<Slot> acquire(StandInOffload.Config config) throws IOException {
        List<StandInOffload.Machine> byFree = new ArrayList<>(config.machines());
        List<Integer> free = new ArrayList<>();
        for (StandInOffload.Machine m : byFree) {
            free.add(freeSlots(config.slotDir(), m));
        }
        byFree.sort(Comparator.comparingInt(m -> -free.get(config.machines().indexOf(m))));
        for (StandInOffload.Machine m : byFree) {
            for (int k = 0; k < m.slots(); k++) {
                Optional<Slot> slot = tryTake(config.slotDir(), m, k);
                if (slot.isPresent()) {
                    return slot;
                }
            }
        }
        return Optional.empty();
    }

    private static int freeSlots(Path slotDir, StandInOffload.Machine m) throws IOException {
        int free = 0;
        for (int k = 0; k < m.slots(); k++) {
            try (FileChannel ch = open(slotDir, m, k); FileLock lock = ch.tryLock()) {
                free += lock != null ? 1 : 0;
            }
        }
        return free;
    }

    private static FileChannel open(Path slotDir, StandInOffload.Machine m, int k) throws IOException {
        Path f = file(slotDir, m, k);
        Files.createDirectories(f.getParent());
        return FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    private static Optional<Slot> tryTake(Path slotDir, StandInOffload.Machine m, int k) throws IOException {
        FileChannel ch = open(slotDir, m, k);
        FileLock lock = ch.tryLock();
        if (lock == null) {
            ch.close();
            return Optional.empty();
        }
        try {
            OutputStream log = Files.newOutputStream(Path.of("/dev/fd/4"));
            ClientOptions options = ClientOptions.DEFAULT.withLog(text -> write(log, text));
            return Optional.of(new Slot(m, ch, lock, StoreClient.connectTcp(m.host(), m.port(), options)));
        } catch (IOException e) {
            ch.close(); // unreachable: releases the slot; the caller tries the next one
            return Optional.empty();
        }
    }

    private static void write(OutputStream log, String text) {
        try {
            log.write(text.getBytes(StandardCharsets.UTF_8));
            log.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
