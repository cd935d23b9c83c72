# A stand-in for `guix authenticate` (tests only): the real helper's line protocol, signing by
# embedding the hash in an s-expression and verifying only the signatures it made.
import sys, os, re
def field(s, i):
    j = s.index(':', i)
    n = int(s[i:j])
    return s[j+1:j+1+n], j+1+n
def reply(code, text):
    b = text.encode('latin-1')
    sys.stdout.buffer.write(str(code).encode() + b' ' + str(len(b)).encode() + b':' + b)
    sys.stdout.buffer.flush()
for raw in sys.stdin.buffer:
    line = raw.decode('latin-1').rstrip('\n')
    try:
        if line.startswith('sign '):
            key, i = field(line, 5)
            hexhash, i = field(line, i + 1)
            if not os.path.exists(key):
                reply(500, "cannot read key file '%s'" % key); continue
            reply(0, '(signature (data (flags rfc6979) (hash sha256 #%s#)) (sig-val (ecdsa)) (public-key (ecc)))' % hexhash.upper())
        elif line.startswith('verify '):
            sig, i = field(line, 7)
            m = re.search(r'\(hash sha256 #([0-9A-F]{64})#\)', sig)
            if m and 'public-key (ecc)' in sig:
                reply(0, m.group(1).lower())
            else:
                reply(500, 'invalid signature')
        else:
            reply(404, 'unknown command')
    except Exception as e:
        reply(500, str(e))
