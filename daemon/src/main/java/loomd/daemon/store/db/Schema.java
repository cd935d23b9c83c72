package loomd.daemon.store.db;

/**
 * The store database schema, as upstream's {@code nix/libstore/schema.sql} (also shipped as
 * {@code guix/store/schema.sql} for the Scheme tools). SQLite keeps each statement's text in
 * {@code sqlite_master}, so each statement's text, comments inside statements included, is
 * reproduced as upstream writes it: a database created by loomd has exactly the schema upstream
 * creates. (Comments between statements are not stored; the one here is ours.)
 */
public final class Schema {
    /** Content of the {@code schema} file; Guix has always used 7. */
    public static final int VERSION = 7;

    public static final String SQL = """
            create table if not exists ValidPaths (
                id               integer primary key autoincrement not null,
                path             text unique not null,
                hash             text not null,
                registrationTime integer not null,
                deriver          text,
                narSize          integer
            );

            create table if not exists Refs (
                referrer  integer not null,
                reference integer not null,
                primary key (referrer, reference),
                foreign key (referrer) references ValidPaths(id) on delete cascade,
                foreign key (reference) references ValidPaths(id) on delete restrict
            );

            create index if not exists IndexReferrer on Refs(referrer);
            create index if not exists IndexReference on Refs(reference);

            -- A self-reference (N, N) would make "on delete restrict" refuse to
            -- delete path N, so the trigger drops it first.
            create trigger if not exists DeleteSelfRefs before delete on ValidPaths
              begin
                delete from Refs where referrer = old.id and reference = old.id;
              end;

            create table if not exists DerivationOutputs (
                drv  integer not null,
                id   text not null, -- symbolic output id, usually "out"
                path text not null,
                primary key (drv, id),
                foreign key (drv) references ValidPaths(id) on delete cascade
            );

            create index if not exists IndexDerivationOutputs on DerivationOutputs(path);

            create table if not exists FailedPaths (
                path text primary key not null,
                time integer not null
            );
            """;

    private Schema() {}
}
