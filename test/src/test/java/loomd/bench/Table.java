package loomd.bench;

import java.util.ArrayList;
import java.util.List;

/** A small aligned table on the test output: a title, a header row, then one row per case. */
final class Table {
    private final String title;
    private final List<String[]> rows = new ArrayList<>();

    Table(String title, String... header) {
        this.title = title;
        rows.add(header);
    }

    Table row(Object... cells) {
        String[] text = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            text[i] = cells[i] instanceof Double d ? String.format("%.1f", d) : String.valueOf(cells[i]);
        }
        rows.add(text);
        return this;
    }

    void print() {
        int columns = rows.getFirst().length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder out = new StringBuilder(title).append('\n');
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                // The first column (the case) reads left-aligned, the figures right-aligned.
                out.append(String.format("  %" + (i == 0 ? "-" : "") + width[i] + "s", r[i]));
            }
            out.append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }
}
