package loomd.spawner;

/** setrlimit(2) for the child; {@link #INFINITY} means RLIM_INFINITY. */
public record ResourceLimit(Resource resource, long soft, long hard) {
    public static final long INFINITY = -1L;

    /** The Linux resource numbers. */
    public enum Resource {
        CPU(0), FSIZE(1), DATA(2), STACK(3), CORE(4), RSS(5), NPROC(6), NOFILE(7), MEMLOCK(8), AS(9);

        final int number;

        Resource(int number) {
            this.number = number;
        }
    }

    public ResourceLimit {
        java.util.Objects.requireNonNull(resource, "resource");
        if (hard != INFINITY && (soft == INFINITY || Long.compareUnsigned(soft, hard) > 0)) {
            throw new IllegalArgumentException("soft limit above hard limit for " + resource);
        }
    }
}
