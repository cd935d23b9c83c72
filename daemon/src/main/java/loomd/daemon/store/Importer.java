package loomd.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import loomd.daemon.store.auth.AuthenticateAgent;
import loomd.daemon.store.db.Registration;
import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.export.ExportItem;
import loomd.protocol.export.ExportReader;
import loomd.protocol.nar.FileHashes;
import loomd.protocol.wire.WireLimits;

/**
 * {@code wopImportPaths} (formats.md §5.4, protocol.md §6.27). Each item's NAR is restored under a
 * temporary name (temp-rooted by the store's own roots, as every add's) while hashed; then the metadata is read, the item's path checked
 * strictly ({@link StrictPaths}: before anything is locked, renamed or deleted by that name) and
 * the signature, which is always required, verified through {@code guix authenticate}. Items not
 * yet valid are installed together, up to {@link #BATCH} at a time, like added paths (one lock set,
 * one registration transaction; references from the stream, each valid or earlier in the bundle;
 * the deriver only if it is, or will be, valid). An item already valid is read and checked but not
 * registered again. When an item fails, those before it are still installed, as upstream (which
 * registers each as it goes) leaves them.
 */
final class Importer {
    /** Items per installation: bounds the temporary trees and locks held at once. */
    static final int BATCH = 256;

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

    /** One verified item waiting for installation; closing it removes its temporary tree. */
    private record Pending(PathAdder.TempEntry temp, Path physical, PathAdder.Install install) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                FileTrees.deleteRecursively(physical);
            } finally {
                temp.close();
            }
        }
    }

    /** The items read but not yet installed, and the paths they will make valid. */
    private static final class Batch {
        final List<Pending> items = new ArrayList<>();
        final Set<String> paths = new HashSet<>();
        /** The newest row id among the items found valid already (strict mode waits for it too). */
        long newestValid;
    }

    List<String> importPaths(InputStream source, SessionRoots roots) throws IOException {
        ExportReader items = new ExportReader(source, WireLimits.DEFAULT, config.storeDir());
        List<String> imported = new ArrayList<>();
        Batch batch = new Batch();
        try {
            while (items.nextItem()) {
                imported.add(readOne(items, roots, batch));
                if (batch.items.size() >= BATCH) install(batch);
            }
            install(batch);
            adder.settle(batch.newestValid);
        } catch (IOException | RuntimeException e) {
            try {
                install(batch);
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        } finally {
            closeAll(batch);
        }
        return imported;
    }

    private void install(Batch batch) throws IOException {
        if (batch.items.isEmpty()) return;
        try {
            adder.install(batch.items.stream().map(Pending::install).toList());
        } finally {
            closeAll(batch);
        }
    }

    private static void closeAll(Batch batch) throws IOException {
        List<Pending> items = List.copyOf(batch.items);
        batch.items.clear();
        batch.paths.clear();
        for (Pending p : items) p.close();
    }

    /** Reads and verifies one item; queues it in {@code batch} unless its path is or will be valid. */
    private String readOne(ExportReader items, SessionRoots roots, Batch batch) throws IOException {
        PathAdder.TempEntry entry = adder.newTempName();
        Path target = adder.physical(entry.name());
        Pending pending = null;
        try {
            NarCodec.Restored[] restored = new NarCodec.Restored[1];
            FileHashes linkKeys = adder.newFileHashes();
            ExportItem item = items.readItem(in -> restored[0] = nar.restore(in, target, linkKeys));
            String dest = StrictPaths.check(config.storeDir(), item.path());
            verifySignature(item, dest);
            roots.addTempRoot(dest);
            long valid = batch.paths.contains(dest) ? 0 : reader.validIdInDb(dest);
            batch.newestValid = Math.max(batch.newestValid, valid);
            if (!batch.paths.contains(dest) && valid == 0) {
                String deriver = item.deriver();
                boolean deriverValid = !deriver.isEmpty()
                        && (batch.paths.contains(deriver) || reader.isValidInDb(deriver));
                pending = new Pending(entry, target, new PathAdder.Install(entry.name(), Registration.of(dest,
                        restored[0].narHash().toBase16(), restored[0].narSize(), item.references(),
                        deriverValid ? deriver : ""), linkKeys));
                batch.items.add(pending);
                batch.paths.add(dest);
            }
            return dest;
        } finally {
            if (pending == null) {
                try {
                    FileTrees.deleteRecursively(target);
                } finally {
                    entry.close();
                }
            }
        }
    }

    private void verifySignature(ExportItem item, String dest) {
        String signature = item.signature().orElseThrow(() ->
                new StoreException("imported archive of `" + dest + "' lacks a signature"));
        if (!item.signedHashHex().equals(agent.verify(signature))) {
            throw new StoreException("signed hash doesn't match actual contents of imported archive;"
                    + " archive could be corrupt, or someone is trying to import a Trojan horse");
        }
    }
}
