"""Recompute the audit digests of attest.sh from the values the tools saw (Part 1 §17, §32).

    audit_check.py command ATTEST R1 R2   TPMS_COMMAND_AUDIT_INFO after tpm2_setcommandauditstatus
                                          (two SetCommandCodeAuditStatus) and GetRandom(8),
                                          GetRandom(5) returning R1 and R2
    audit_check.py session ATTEST R3      TPMS_SESSION_AUDIT_INFO after one audited GetRandom(8)
                                          returning R3

cpHash := H(commandCode || Names || parameters); rpHash := H(0 || commandCode || response
parameters); each audited command extends auditDigest := H(auditDigest || cpHash || rpHash),
starting from the Zero Digest.
"""
import hashlib
import sys


def h(b):
    return hashlib.sha256(b).digest()


def cp(cc, names, params):
    return h(cc.to_bytes(4, 'big') + names + params)


def rp(cc, rparams):
    return h(bytes(4) + cc.to_bytes(4, 'big') + rparams)


def chain(events):
    d = bytes(32)
    for cc, names, params, rparams in events:
        d = h(d + cp(cc, names, params) + rp(cc, rparams))
    return d


def b2b(b):
    return len(b).to_bytes(2, 'big') + b


class Reader:
    def __init__(self, b):
        self.b, self.p = b, 0

    def take(self, n):
        assert self.p + n <= len(self.b), 'attestation too short'
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def u(self, n):
        return int.from_bytes(self.take(n), 'big')

    def b2b(self):
        return self.take(self.u(2))


def attest_header(att):
    r = Reader(att)
    assert r.u(4) == 0xff544347, 'magic'
    kind = r.u(2)
    r.b2b()  # qualifiedSigner
    extra = r.b2b()
    r.take(8 + 4 + 4 + 1 + 8)  # clockInfo, firmwareVersion
    return r, kind, extra


GET_RANDOM, SET_AUDIT = 0x17b, 0x140


def command(att_path, r1_path, r2_path):
    att = open(att_path, 'rb').read()
    r1, r2 = open(r1_path, 'rb').read(), open(r2_path, 'rb').read()
    r, kind, extra = attest_header(att)
    assert kind == 0x8015, 'type %x' % kind
    assert extra == bytes.fromhex('5a5a'), 'extraData'
    counter, alg = r.u(8), r.u(2)
    digest, commands = r.b2b(), r.b2b()
    assert r.p == len(att), 'trailing bytes'
    # tpm2_setcommandauditstatus sends (SHA-256, [], []) and then (SHA-256, [GetRandom], []).
    events = [(SET_AUDIT, bytes.fromhex('40000001'), bytes.fromhex('000b' '00000000' '00000000'), b''),
              (SET_AUDIT, bytes.fromhex('40000001'), bytes.fromhex('000b' '00000001' '0000017b' '00000000'), b''),
              (GET_RANDOM, b'', bytes.fromhex('0008'), b2b(r1)),
              (GET_RANDOM, b'', bytes.fromhex('0005'), b2b(r2))]
    assert counter == 1 and alg == 0x000b, (counter, alg)
    want = chain(events)
    assert digest == want, 'auditDigest %s, expected %s' % (digest.hex(), want.hex())
    assert commands == h(bytes.fromhex('00000140' '0000017b')), 'commandDigest'


def session(att_path, r3_path):
    att = open(att_path, 'rb').read()
    r3 = open(r3_path, 'rb').read()
    r, kind, extra = attest_header(att)
    assert kind == 0x8016, 'type %x' % kind
    assert extra == bytes.fromhex('77'), 'extraData'
    exclusive, digest = r.u(1), r.b2b()
    assert r.p == len(att), 'trailing bytes'
    assert exclusive in (0, 1), 'exclusiveSession'
    want = chain([(GET_RANDOM, b'', bytes.fromhex('0008'), b2b(r3))])
    assert digest == want, 'sessionDigest %s, expected %s' % (digest.hex(), want.hex())


if __name__ == '__main__':
    {'command': command, 'session': session}[sys.argv[1]](*sys.argv[2:])
