package loomd.test.build;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A build users' group made on the host for one test class ({@code groupadd}/{@code useradd}) and
 * removed again: group {@code loomdbld} with gid 30000, members {@code loomdbld1..n} with uids from
 * 30001, whose primary group it is, as Guix's installer makes them (so the ids inside a build are the
 * guest ids of a user namespace: 30001 and 30000).
 */
final class BuildGroup implements AutoCloseable {
    static final String NAME = "loomdbld";
    static final int GID = 30000;
    static final int FIRST_UID = 30001;

    private final List<String> users = new ArrayList<>();

    private BuildGroup() {}

    /** Whether the ids are free on this host (a Nix installation uses them). */
    static boolean idsFree(int members) throws IOException, InterruptedException {
        if (run("getent", "group", Integer.toString(GID)) == 0 || run("getent", "group", NAME) == 0) {
            return false;
        }
        for (int i = 0; i < members; i++) {
            if (run("getent", "passwd", Integer.toString(FIRST_UID + i)) == 0) {
                return false;
            }
        }
        return true;
    }

    static BuildGroup create(int members) throws IOException, InterruptedException {
        BuildGroup g = new BuildGroup();
        check(run("groupadd", "-g", Integer.toString(GID), NAME), "groupadd");
        for (int i = 0; i < members; i++) {
            String user = NAME + (i + 1);
            check(run("useradd", "-u", Integer.toString(FIRST_UID + i), "-g", NAME, "-G", NAME, "-M", "-N",
                    "-d", "/var/empty", "-s", "/sbin/nologin", user), "useradd");
            g.users.add(user);
        }
        return g;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (String user : users) {
            run("userdel", user);
        }
        run("groupdel", NAME);
    }

    static int run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " hangs");
        }
        return p.exitValue();
    }

    private static void check(int status, String what) throws IOException {
        if (status != 0) {
            throw new IOException(what + " failed with status " + status);
        }
    }
}
