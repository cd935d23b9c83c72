package loomd.daemon.store.gc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The store paths of a {@link GcGraph}: base names ({@code <hash>-<name>}) packed in one byte
 * array, indexed by dense id, with an open-addressing index from name to id. No object per path:
 * a million paths cost their bytes plus about 16 bytes each.
 */
final class PathTable {
    private byte[] bytes = new byte[1 << 16];
    private int[] starts = new int[1025];
    private int size;
    private int used;
    private int[] index;
    private int mask;

    /** Appends a base name; returns its dense id. */
    int add(String baseName) {
        byte[] b = baseName.getBytes(StandardCharsets.UTF_8);
        if (used + b.length > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, used + b.length));
        if (size + 2 > starts.length) starts = Arrays.copyOf(starts, starts.length * 2);
        System.arraycopy(b, 0, bytes, used, b.length);
        used += b.length;
        starts[++size] = used;
        return size - 1;
    }

    int size() {
        return size;
    }

    /** Trims the arrays and builds the name index; call once, after the last {@link #add}. */
    void seal() {
        bytes = Arrays.copyOf(bytes, used);
        starts = Arrays.copyOf(starts, size + 1);
        int capacity = Integer.highestOneBit(Math.max(4, size * 2 - 1)) << 1;
        index = new int[capacity];
        Arrays.fill(index, -1);
        mask = capacity - 1;
        for (int id = 0; id < size; id++) {
            int slot = hash(bytes, starts[id], starts[id + 1]) & mask;
            while (index[slot] >= 0) slot = (slot + 1) & mask;
            index[slot] = id;
        }
    }

    String name(int id) {
        return new String(bytes, starts[id], starts[id + 1] - starts[id], StandardCharsets.UTF_8);
    }

    /** The id of a base name, or -1. */
    int find(String baseName) {
        byte[] b = baseName.getBytes(StandardCharsets.UTF_8);
        int slot = hash(b, 0, b.length) & mask;
        for (int id; (id = index[slot]) >= 0; slot = (slot + 1) & mask) {
            if (Arrays.equals(bytes, starts[id], starts[id + 1], b, 0, b.length)) return id;
        }
        return -1;
    }

    long heapBytes() {
        return bytes.length + 4L * starts.length + 4L * index.length;
    }

    private static int hash(byte[] b, int from, int to) {
        int h = 0x811c9dc5;
        for (int i = from; i < to; i++) h = (h ^ b[i]) * 0x01000193;
        return h ^ (h >>> 16);
    }
}
