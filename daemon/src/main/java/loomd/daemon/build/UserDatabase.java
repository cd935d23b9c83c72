package loomd.daemon.build;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Users and groups as {@code getgrnam}/{@code getpwnam} find them with the {@code files} source: the
 * lines of {@code /etc/group} and {@code /etc/passwd}, read anew at each call (they are small, and a
 * member added while the daemon runs must count, as it does upstream). No native call: the JVM has
 * no name-service binding, and the build users' group is a local group in every Guix installation.
 */
record UserDatabase(Path groupFile, Path passwdFile) {
    static final UserDatabase SYSTEM = new UserDatabase(Path.of("/etc/group"), Path.of("/etc/passwd"));

    /** A group line: name, gid and the explicit member list in file order. */
    record Group(String name, int gid, List<String> members) {}

    /** A passwd line: name, uid and primary gid. */
    record User(String name, int uid, int gid) {}

    Optional<Group> group(String name) throws IOException {
        return groups().stream().filter(g -> g.name().equals(name)).findFirst();
    }

    Optional<User> user(String name) throws IOException {
        for (String[] f : lines(passwdFile)) {
            if (f.length >= 4 && f[0].equals(name)) {
                return Optional.of(new User(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3])));
            }
        }
        return Optional.empty();
    }

    /** The gids of every group listing {@code user} as a member. */
    List<Integer> groupsWithMember(String user) throws IOException {
        return groups().stream().filter(g -> g.members().contains(user)).map(Group::gid).toList();
    }

    private List<Group> groups() throws IOException {
        List<Group> result = new ArrayList<>();
        for (String[] f : lines(groupFile)) {
            if (f.length >= 3) {
                List<String> members = f.length > 3 && !f[3].isEmpty() ? List.of(f[3].split(",")) : List.of();
                result.add(new Group(f[0], Integer.parseInt(f[2]), members));
            }
        }
        return result;
    }

    private static List<String[]> lines(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank() && !l.startsWith("#"))
                .map(l -> l.split(":", -1)).filter(f -> f.length >= 3 && isNumber(f[2])).toList();
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }
}
