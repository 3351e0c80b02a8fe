#!/usr/bin/env python3
"""Writes the seed corpora of the make fuzz targets into each package's
testdata/fuzz/<FuzzName>/ (Go's "go test fuzz v1" files): the f.Add seeds of
the fuzz tests, as seed-N, and real lines, files and specs of the repository,
as real-*, unless the directory holds the same input under another name. go
test runs every file as a regression test. Deterministic (the zstd seed for
one zstd version); run from the repository root after changing a fuzz
test's arguments."""
import gzip, os, subprocess

def q(b):
    if isinstance(b, str): b = b.encode()
    out = ['"']
    for c in b:
        ch = chr(c)
        if ch == '\\': out.append('\\\\')
        elif ch == '"': out.append('\\"')
        elif ch == '\n': out.append('\\n')
        elif ch == '\t': out.append('\\t')
        elif ch == '\r': out.append('\\r')
        elif 0x20 <= c < 0x7f: out.append(ch)
        else: out.append('\\x%02x' % c)
    out.append('"')
    return ''.join(out)

def write(pkg, fuzz, name, *vals):
    d = os.path.join(pkg, 'testdata', 'fuzz', fuzz)
    os.makedirs(d, exist_ok=True)
    lines = ['go test fuzz v1']
    for v in vals:
        kind, x = v
        if kind == 'bytes': lines.append('[]byte(%s)' % q(x))
        elif kind == 'string': lines.append('string(%s)' % q(x))
        else: lines.append('%s(%d)' % (kind, x))
    text = '\n'.join(lines) + '\n'
    for other in os.listdir(d):  # the same input under another name: keep that
        if other != name and open(os.path.join(d, other)).read() == text:
            return
    with open(os.path.join(d, name), 'w') as f:
        f.write(text)

def zcat(path, n):
    out = subprocess.run(['zstd', '-dc', path], capture_output=True, check=True).stdout
    return out.split(b'\n')

B = lambda x: ('bytes', x)
S = lambda x: ('string', x)

nf = zcat('data/ctu13/s10/capture20110818.16hosts.reconstructed.netflow.labeled.zst', 0)
bn = zcat('data/ctu13/s11/capture20110818-2.binetflow.zst', 0)
def first(lines, needle):
    return next(l for l in lines[1:] if needle in l)
nf_real = {'real-background-tcp': nf[1], 'real-legitimate-http': nf[500],
           'real-botnet-udp-dns': first(nf, b'Botnet'), 'real-icmp-no-ports': first(nf, b' ICMP ')}
bn_real = {'real-background-tcp': bn[1], 'real-botnet-udp-dns': first(bn, b'From-Botnet'),
           'real-icmp-hex-ports': first(bn, b',icmp,'), 'real-arp-empty-ports': first(bn, b',arp,')}

# stages/load: the f.Add seeds, then real lines.
for i, s in enumerate([
        "2011-08-18 10:19:13.328     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet",
        "2011-08-18 10:19:13.328     1e3 ICMP  147.32.86.166 -> 212.24.150.110 ECO 0 1 60 1 Background",
        "2011-08-18 10:19:13.328     nan UDP  147.32.86.166:1 -> 212.24.150.110:99999 INT 0 4 -1 1 x",
        ""]):
    write('stages/load', 'FuzzNetflowLine', 'seed-%d' % i, B(s))
for name, l in nf_real.items():
    write('stages/load', 'FuzzNetflowLine', name, B(l))
write('stages/load', 'FuzzNetflowLine', 'real-header', B(nf[0]))
for i, s in enumerate([
        "2011/08/18 15:39:35.1,0.002,tcp,147.32.84.165,1025,->,212.24.150.110,80,S_RA,0,0,2,120,60,flow=From-Botnet-V43-TCP",
        "2011/08/18 15:39:35.1,-5,icmp,a,0x0008,<->,b,0x0000,ECO,,,1,60,60,flow=Background",
        "2011/08/18 15:39:35.1,inf,udp,a,1,->,b,2,INT,0,0,1,2,3",
        ",,,,,,,,,,,,,,"]):
    write('stages/load', 'FuzzBinetflowLine', 'seed-%d' % i, B(s))
for name, l in bn_real.items():
    write('stages/load', 'FuzzBinetflowLine', name, B(l))
write('stages/load', 'FuzzBinetflowLine', 'real-header', B(bn[0]))

NH = nf[0].decode(); BH = bn[0].decode()
write('stages/load', 'FuzzLoadFile', 'seed-0', B(NH + "\n2011-08-18 10:19:13.328     0.002 TCP  147.32.86.166:33426 -> 212.24.150.110:25443 FRPA_ 0 4 321 1 Botnet\n"))
write('stages/load', 'FuzzLoadFile', 'seed-1', B(BH + "\n2011/08/18 15:39:35.1,0.002,tcp,a,1,->,b,80,S_RA,0,0,2,120,60,flow=x\n\n"))
write('stages/load', 'FuzzLoadFile', 'seed-2', B(bytes([0x28, 0xb5, 0x2f, 0xfd, 0, 0])))
nf_file = b'\n'.join([nf[0]] + list(nf_real.values())) + b'\n'
bn_file = b'\n'.join([bn[0]] + list(bn_real.values())) + b'\n'
write('stages/load', 'FuzzLoadFile', 'real-netflow', B(nf_file))
write('stages/load', 'FuzzLoadFile', 'real-binetflow', B(bn_file))
zst = subprocess.run(['zstd', '-q', '-19', '-c'], input=nf_file, capture_output=True, check=True).stdout
write('stages/load', 'FuzzLoadFile', 'real-netflow-zstd', B(zst))
write('stages/load', 'FuzzLoadFile', 'real-binetflow-gzip', B(gzip.compress(bn_file, mtime=0)))

# pipeline: the f.Add seeds, then the real experiments with a --set each.
for i, (spec, s) in enumerate([
        ("experiment: x\ndata: {path: a}\nhosts: {profile: h, normal: [n], infected: [i]}\nsweep:\n  model.seed: [0, 1]\n", "model.seed=7"),
        ("data: {path: a}\nhosts: {profile: h}\nmodel: {states: 0}\n", "sweep.window.size=[1,2]"),
        ("experiment: ../x\n", "experiment=.."),
        ("- a\n- b\n", "a.b.c=[1, {x: 2}]"),
        ("sweep: {model.states: [1, 1]}\n", "sweep=[1]")]):
    write('pipeline', 'FuzzParsePlan', 'seed-%d' % i, B(spec), S(s))
for name, s in [('sweep.yaml', 'model.seed=7'), ('default.yaml', 'sweep.window.size=[5,10]'),
                ('s10-to-s11.yaml', 'model.kind=categorical'), ('split.yaml', 'experiment=renamed')]:
    write('pipeline', 'FuzzParsePlan', 'real-' + name.replace('.yaml', ''), B(open('experiments/' + name, 'rb').read()), S(s))

# report: the f.Add seeds (the first is the testdata run).
rd = lambda n: open('report/testdata/runs/a/' + n, 'rb').read()
write('report', 'FuzzLoad', 'seed-0-testdata-run-a', B(rd('manifest.json')), B(rd('metrics.json')), B(rd('scores.csv')))
write('report', 'FuzzLoad', 'seed-1', B('{"points":[{"name":"p"}]}'), B('{"points":[{"point":"p","metrics":{"auc_host":"-inf","margin":null}}]}'), B("point,host\np,h\n"))
write('report', 'FuzzLoad', 'seed-2', B("{"), B("[]"), B(""))

# hmm: the f.Add seeds.
for i, (seed, bad, at, cut) in enumerate([(1, 0, 0, 0), (2, 1, 3, 1), (3, 2, 0, 2), (4, 3, 7, 3), (5, 4, 1, 0)]):
    write('hmm', 'FuzzModel', 'seed-%d' % i, ('uint64', seed), ('byte', bad), ('uint16', at), ('byte', cut))
