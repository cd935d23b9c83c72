package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * Export items and bundles ({@code store.archives()}): {@code wopExportPath} and
 * {@code wopImportPaths}. Thread-safe; an import takes the item locks of up to
 * {@link Importer#BATCH} items at once (the package documentation's lock table).
 */
public final class Archives {
    private final Exporter exporter;
    private final Importer importer;

    Archives(Exporter exporter, Importer importer) {
        this.exporter = exporter;
        this.importer = importer;
    }

    /** {@code wopExportPath}: one export item to {@code out}. */
    public void exportPath(String path, boolean sign, OutputStream out) {
        try {
            exporter.export(path, sign, out);
        } catch (IOException e) {
            throw new StoreException(e.getMessage());
        }
    }

    /**
     * {@code wopImportPaths}: reads a bundle from {@code source}; a signature is always required,
     * whoever asks (as upstream). Every item's path must be a strict store path. Returns the paths
     * in stream order.
     */
    public List<String> importPaths(InputStream source, SessionRoots roots) {
        try {
            return importer.importPaths(source, roots);
        } catch (IOException e) {
            throw new StoreException(e.getMessage());
        }
    }
}
