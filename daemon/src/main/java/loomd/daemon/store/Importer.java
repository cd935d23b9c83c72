package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import loomd.daemon.store.auth.AuthenticateAgent;
import loomd.daemon.store.db.Registration;
import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.export.ExportItem;
import loomd.protocol.export.ExportReader;
import loomd.protocol.wire.WireLimits;

/**
 * {@code wopImportPaths} (formats.md §5.4, protocol.md §6.27). Each item's NAR is restored under a
 * temp-rooted temporary name while hashed; then the metadata is read and the signature, which
 * is always required, verified through {@code guix authenticate}; then the item is installed
 * like any added path (references from the stream, each of which must be valid; the deriver
 * only if valid). An item already valid is read and checked but not registered again.
 */
final class Importer {
    private final StoreConfig config;
    private final StoreReader reader;
    private final PathAdder adder;
    private final NarCodec nar;
    private final AuthenticateAgent agent;

    Importer(StoreConfig config, StoreReader reader, PathAdder adder, NarCodec nar, AuthenticateAgent agent) {
        this.config = config;
        this.reader = reader;
        this.adder = adder;
        this.nar = nar;
        this.agent = agent;
    }

    List<String> importPaths(InputStream source, SessionRoots roots) throws IOException {
        ExportReader items = new ExportReader(source, WireLimits.DEFAULT, config.storeDir());
        List<String> imported = new ArrayList<>();
        while (items.nextItem()) imported.add(importOne(items, roots));
        return imported;
    }

    private String importOne(ExportReader items, SessionRoots roots) throws IOException {
        try (PathAdder.TempEntry entry = adder.newTempName()) {
            return importInto(entry.name(), items, roots);
        }
    }

    private String importInto(String temp, ExportReader items, SessionRoots roots) throws IOException {
        roots.addTempRoot(adder.logical(temp));
        Path target = adder.physical(temp);
        try {
            NarCodec.Restored[] restored = new NarCodec.Restored[1];
            ExportItem item = items.readItem(in -> restored[0] = nar.restore(in, target));
            String dest = item.path();
            String signature = item.signature().orElseThrow(() ->
                    new StoreException("imported archive of `" + dest + "' lacks a signature"));
            if (!item.signedHashHex().equals(agent.verify(signature))) {
                throw new StoreException("signed hash doesn't match actual contents of imported archive;"
                        + " archive could be corrupt, or someone is trying to import a Trojan horse");
            }
            roots.addTempRoot(dest);
            if (!reader.isValid(dest)) {
                String deriver = !item.deriver().isEmpty() && reader.isValid(item.deriver()) ? item.deriver() : "";
                adder.install(temp, dest, Registration.of(dest, restored[0].narHash().toBase16(), restored[0].narSize(),
                        item.references(), deriver));
            }
            return dest;
        } finally {
            FileTrees.deleteRecursively(target);
        }
    }
}
