package loomd.daemon.build.builtin;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.submodule.SubmoduleWalk;
import org.eclipse.jgit.transport.RefSpec;

import loomd.daemon.store.fs.FileTrees;
import loomd.protocol.drv.Derivation;

/**
 * {@code builtin:git-download} through JGit (no git process): what upstream's {@code git-fetch} does
 * with the git command. A repository is made at the output, the remote's branches and tags fetched,
 * the commit (a full or abbreviated id, or a tag) checked out, submodules updated recursively when
 * {@code recursive?} says so, then every {@code .git} removed: the output is the bare checkout, whose
 * NAR hash the output check compares with the declared one.
 */
final class GitFetch {
    private GitFetch() {}

    /** The attributes of upstream's {@code perform-git-download}. */
    record Request(String url, String commit, boolean recursive) {
        static Request of(String drvPath, Derivation drv) throws BuiltinError {
            String url = drv.env().get("url");
            if (url == null) {
                throw new BuiltinError(drvPath + ": missing Git URL");
            }
            String commit = drv.env().get("commit");
            if (commit == null) {
                throw new BuiltinError(drvPath + ": missing Git commit");
            }
            List<String> urls = DownloadRequest.strings(DownloadRequest.read(url));
            String recursive = drv.env().get("recursive?");
            boolean rec = recursive != null && DownloadRequest.read(recursive) instanceof SchemeDatum.Bool b && b.value();
            return new Request(urls.getFirst(), commit, rec);
        }
    }

    static void fetch(Request r, Path target, BuiltinLog log) throws BuiltinError, IOException {
        FileTrees.deleteRecursively(target);
        log.print("git-fetch " + r.url() + " " + r.commit() + (r.recursive() ? " (recursive)" : "") + "\n");
        try {
            try (Git git = Git.init().setDirectory(target.toFile()).setInitialBranch("main").call()) {
                git.fetch().setRemote(r.url()).setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*"),
                        new RefSpec("+refs/tags/*:refs/tags/*")).call();
                ObjectId id = resolve(git.getRepository(), r.commit());
                git.checkout().setName(id.name()).call();
                if (r.recursive()) {
                    updateSubmodules(git.getRepository(), log);
                }
            }
        } catch (GitAPIException | org.eclipse.jgit.errors.RevisionSyntaxException e) {
            throw new BuiltinError("Git error: " + e.getMessage());
        }
        deleteGitDirs(target);
    }

    private static ObjectId resolve(Repository repo, String commit) throws IOException, BuiltinError {
        ObjectId id;
        try {
            id = repo.resolve(commit + "^{commit}");
        } catch (org.eclipse.jgit.errors.MissingObjectException e) {
            id = null; // a full id is taken as is, then found missing
        }
        if (id == null) {
            throw new BuiltinError("Git error: commit `" + commit + "' not found in the repository");
        }
        return id;
    }

    private static void updateSubmodules(Repository repo, BuiltinLog log) throws GitAPIException, IOException {
        try (Git git = new Git(repo)) {
            git.submoduleInit().call();
            git.submoduleUpdate().call();
        }
        List<Repository> children = new ArrayList<>();
        try (SubmoduleWalk walk = SubmoduleWalk.forIndex(repo)) {
            while (walk.next()) {
                Repository sub = walk.getRepository();
                if (sub != null) {
                    log.print("Submodule path '" + walk.getPath() + "': checked out '" + walk.getObjectId().name() + "'\n");
                    children.add(sub);
                }
            }
        }
        for (Repository sub : children) {
            try (sub) {
                updateSubmodules(sub, log);
            }
        }
    }

    /** Upstream deletes the top {@code .git} and every {@code .git} file of a submodule; so does this, dirs too. */
    private static void deleteGitDirs(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.getFileName().toString().equals(".git") && !dir.equals(root)) {
                    found.add(dir);
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (file.getFileName().toString().equals(".git")) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path p : found) {
            FileTrees.deleteRecursively(p);
        }
    }
}
