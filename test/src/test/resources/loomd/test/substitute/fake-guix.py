#!/usr/bin/env python3
# Stand-in for `guix substitute` (daemon.md 5.1-5.3), for loomd's tests. It speaks the helper
# protocol over the daemon's pipes: requests on stdin, replies on fd 4, diagnostics on stderr.
# What it serves is read from $FAKE_SUBST_DIR/<store path basename>.json:
#   deriver, references, downloadSize, narSize, contents (a regular file's text),
#   directory ([name, text]: a directory holding one file),
#   optional: status (status line to send instead of success), split (status in two writes),
#   die (exit before the status), rawInfo (info reply lines instead of the computed ones),
#   writes (stderr writes during the fetch; {path} is replaced), slow (seconds before the status),
#   url (fetch a zstd NAR of a regular file from there, as `guix substitute` would: download,
#   `zstd -dc`, hash, restore; for SubstituteBench).
# Each start appends "<mode> <pid>" to $FAKE_SUBST_DIR/starts and leaves _NIX_OPTIONS in
# $FAKE_SUBST_DIR/options-<pid>. $FAKE_SUBST_DIR/chatty makes the query helper print that many
# bytes of diagnostics at start.
import hashlib, json, os, struct, sys, time

DIR = os.environ["FAKE_SUBST_DIR"]
ACL = "guix substitute: warning: ACL for archive imports seems to be uninitialized, substitutes may be unavailable\n"
AUTH = "guix substitute: warning: authentication and authorization of substitutes disabled!\n"


def err(text):
    os.write(2, text.encode())


def reply(text):
    os.write(4, text.encode())


def entry(path):
    f = os.path.join(DIR, os.path.basename(path) + ".json")
    if not os.path.exists(f):
        return None
    with open(f) as h:
        return json.load(h)


def nar_string(b):
    return struct.pack("<Q", len(b)) + b + b"\0" * ((8 - len(b) % 8) % 8)


def nar_of_file(contents):
    return b"".join(nar_string(s) for s in [b"nix-archive-1", b"(", b"type", b"regular", b"contents"]) \
        + nar_string(contents) + nar_string(b")")


def nar_of_directory(name, contents):
    # a directory holding one regular file `name`
    entry = b"".join(nar_string(s) for s in [b"entry", b"(", b"name", name, b"node"])
    return b"".join(nar_string(s) for s in [b"nix-archive-1", b"(", b"type", b"directory"]) + entry \
        + nar_of_file(contents)[len(nar_string(b"nix-archive-1")):] + nar_string(b")") + nar_string(b")")


def query(line):
    verb, paths = line.split(" ", 1)[0], line.split()[1:]
    err(AUTH)
    out = []
    for p in paths:
        e = entry(p)
        if e is None:
            continue
        if verb == "have":
            out.append(p)
        elif "rawInfo" in e:
            out.extend(e["rawInfo"])
        else:
            out += [p, e.get("deriver", ""), str(len(e.get("references", [])))] + e.get("references", []) \
                + [str(e.get("downloadSize", 0)), str(e.get("narSize", 0))]
    extra = os.path.join(DIR, "have-extra")
    if verb == "have" and os.path.exists(extra):
        out += open(extra).read().split()
    reply("".join(x + "\n" for x in out) + "\n")


def fetch(line):
    _, path, dest = line.split()
    e = entry(path) or {}
    for w in e.get("writes", ["@ download-started {path} file:/fake/example.nar 136\n",
                              "@ download-succeeded {path} file:/fake/example.nar 136\n", "\n"]):
        err(w.replace("{path}", path))
        time.sleep(0.05)
    time.sleep(e.get("slow", 0))
    if e.get("die"):
        os._exit(1)
    status = e.get("status")
    if status is None and "url" in e:
        status = fetch_url(e["url"], dest)
    if status is None and "directory" in e:
        name, contents = e["directory"][0].encode(), e["directory"][1].encode()
        os.mkdir(dest)
        with open(os.path.join(dest, name.decode()), "wb") as h:
            h.write(contents)
        nar = nar_of_directory(name, contents)
        status = "success sha256:%s %d" % (hashlib.sha256(nar).hexdigest(), len(nar))
    if status is None:
        contents = e.get("contents", "").encode()
        with open(dest, "wb") as h:
            h.write(contents)
        os.chmod(dest, 0o444)
        nar = nar_of_file(contents)
        status = "success sha256:%s %d" % (hashlib.sha256(nar).hexdigest(), len(nar))
    if e.get("split"):
        reply(status[:5])
        time.sleep(0.2)
        reply(status[5:] + "\n")
    else:
        reply(status + "\n")


def decline_offloads():
    # `guix offload` without build machines: every build stays local.
    for _ in sys.stdin:
        sys.stdout.write("# decline\n")
        sys.stdout.flush()


def fetch_url(url, dest):
    import subprocess, urllib.request
    with urllib.request.urlopen(url) as r:
        nar = subprocess.run(["zstd", "-dcq"], input=r.read(), stdout=subprocess.PIPE, check=True).stdout
    header = b"".join(nar_string(s) for s in [b"nix-archive-1", b"(", b"type", b"regular", b"contents"])
    size = struct.unpack("<Q", nar[len(header):len(header) + 8])[0]
    with open(dest, "wb") as h:
        h.write(nar[len(header) + 8:len(header) + 8 + size])
    os.chmod(dest, 0o444)
    return "success sha256:%s %d" % (hashlib.sha256(nar).hexdigest(), len(nar))


def main():
    if sys.argv[1:2] == ["offload"]:
        decline_offloads()
        return
    mode = sys.argv[2] if len(sys.argv) > 2 else ""
    if sys.argv[1:2] != ["substitute"] or mode not in ("--query", "--substitute"):
        err("fake guix: unsupported command %s\n" % sys.argv[1:])
        sys.exit(1)
    with open(os.path.join(DIR, "starts"), "a") as h:
        h.write("%s %d\n" % (mode, os.getpid()))
    with open(os.path.join(DIR, "options-%d" % os.getpid()), "w") as h:
        h.write(os.environ.get("_NIX_OPTIONS", ""))
    err(ACL)
    chatty = os.path.join(DIR, "chatty")
    if mode == "--query" and os.path.exists(chatty):
        err("x" * int(open(chatty).read()) + "\n")
    for line in sys.stdin:
        line = line.rstrip("\n")
        if mode == "--query":
            query(line)
        else:
            fetch(line)


main()
