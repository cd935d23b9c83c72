package loomd.protocol.drv;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import loomd.protocol.wire.Utf8Order;

/**
 * The {@code drv!out1,out2} notation of {@code wopBuildPaths} (formats.md §4.8). An empty output
 * set means "all outputs". Empty names between commas are dropped, as upstream's tokenizer does.
 */
public record DrvPathWithOutputs(String path, SortedSet<String> outputs) {
    public DrvPathWithOutputs {
        TreeSet<String> copy = new TreeSet<>(Utf8Order.COMPARATOR);
        copy.addAll(outputs);
        outputs = Collections.unmodifiableSortedSet(copy);
    }

    public static DrvPathWithOutputs parse(String s) {
        int bang = s.indexOf('!');
        if (bang < 0) {
            return new DrvPathWithOutputs(s, new TreeSet<>());
        }
        TreeSet<String> names = new TreeSet<>(Utf8Order.COMPARATOR);
        for (String name : s.substring(bang + 1).split(",")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return new DrvPathWithOutputs(s.substring(0, bang), names);
    }

    public boolean wants(String output) {
        return outputs.isEmpty() || outputs.contains(output);
    }

    /** The printed form: the path alone, or {@code path!a,b}. */
    @Override
    public String toString() {
        return outputs.isEmpty() ? path : path + "!" + String.join(",", outputs);
    }
}
