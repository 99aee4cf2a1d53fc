// bench/realtime load driver: N WebSocket subscribers of one channel, P publishes of one message each, per-delivery latency.
// Not a test; bench/realtime/run.sh runs it. One coordinator process (publishes, measures server memory) forks
// --workers child processes that hold the sockets (10,000 sockets are too much for one Node event loop on 2 cores).
//
//   node drive.mjs --target herald --n 1000 --config '{"port":…,"tokens":[…],"channel":"…","memPort":…}'
//   node drive.mjs --target soketi --n 1000 --config '{"port":6001,"appId":"…","key":"…","secret":"…","pid":…}'
//
// Prints one JSON line with the results on stdout; progress goes to stderr.
//
// What is measured (the same way for both servers):
//   connect+subscribe: from the moment the workers are told to connect until every socket has its subscription
//     acknowledged (Herald {"type":"subscribed"}, soketi pusher_internal:subscription_succeeded); at most
//     --inflight handshakes per worker in flight at once.
//   memory per idle connection: server memory before connecting and 3 s after the last subscription was acknowledged,
//     no traffic in between, delta / N. soketi: VmRSS of its process (/proc/<pid>/status). Herald: VmRSS of its JVM and,
//     separately, Java heap used after System.gc() (HeraldServer's /mem).
//   latency: the publisher puts its send time (performance.timeOrigin + performance.now(), taken just before the HTTP
//     request) in the message; a subscriber's latency is its receive time (taken when the frame arrives, before any
//     parsing) minus that. Herald: POST /api/v1/messages (so the path includes the database write, the outbox and
//     pg_notify); soketi: POST /apps/<id>/events.
//   deliveries/s: all deliveries / the sum over publishes of (last delivery of that publish - its send time).
import { fork } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MARK = 'bench|';

// ------------------------------------------------------------------ a minimal RFC 6455 client

// One fixed handshake key for every socket: the servers only check its form, and the expected
// Sec-WebSocket-Accept is then computed once.
const KEY = 'aGVyYWxkLWJlbmNoLWtleQ==';
const ACCEPT = createHash('sha1').update(KEY + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
const MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

// The driver's own client instead of the `ws` package: profiled, `ws` spent ~440 µs of CPU per socket on connect +
// subscribe (its HTTP upgrade goes through node:http) on the cores the servers share, which put a floor under both
// servers' connect times (this one: ~125 µs). This one does what a client must (handshake with Sec-WebSocket-Accept check, masked
// frames, fragments, pong, close) and nothing more, the same for both servers.
class RawWebSocket {
    constructor(port, path, on) {
        this.on = on;
        this.open = false;
        this.buf = null;
        this.fragments = null;
        this.socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
        this.socket.on('connect', () => this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`
            + `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`));
        this.socket.on('data', (chunk) => this.data(chunk, now()));
        this.socket.on('error', (e) => on.error(String(e.message || e)));
        this.socket.on('close', () => on.close(this.closeCode ?? 1006));
    }

    data(chunk, t) {
        let buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
        if (!this.open) {
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) {
                this.buf = buf;
                return;
            }
            const head = buf.toString('latin1', 0, end);
            const accept = head.split('\r\n').find((line) => line.toLowerCase().startsWith('sec-websocket-accept:'));
            if (!head.startsWith('HTTP/1.1 101') || accept?.substring(accept.indexOf(':') + 1).trim() !== ACCEPT) {
                this.on.error('handshake: ' + head.split('\r\n')[0]);
                this.socket.destroy();
                return;
            }
            this.open = true;
            buf = buf.subarray(end + 4);
            this.on.open();
        }
        while (buf.length >= 2) {
            const fin = (buf[0] & 0x80) !== 0;
            const opcode = buf[0] & 0x0f;
            let len = buf[1] & 0x7f;
            let header = 2;
            if (len === 126) {
                if (buf.length < 4) break;
                len = buf.readUInt16BE(2);
                header = 4;
            } else if (len === 127) {
                if (buf.length < 10) break;
                len = Number(buf.readBigUInt64BE(2));
                header = 10;
            }
            if (buf.length < header + len) break;
            const payload = buf.subarray(header, header + len);
            buf = buf.subarray(header + len);
            if (opcode === 0x1 || opcode === 0x0) {
                const parts = opcode === 0x0 ? [...(this.fragments ?? []), payload] : [payload];
                if (fin) {
                    this.fragments = null;
                    this.on.text(parts.length === 1 ? parts[0].toString() : Buffer.concat(parts).toString(), t);
                } else {
                    this.fragments = parts;
                }
            } else if (opcode === 0x9) {
                this.frame(0xa, payload);
            } else if (opcode === 0x8) {
                this.closeCode = len >= 2 ? payload.readUInt16BE(0) : 1005;
                this.frame(0x8, payload.subarray(0, 2));
                this.socket.end();
            }
        }
        this.buf = buf.length ? buf : null;
    }

    frame(opcode, payload) {
        const len = payload.length;
        const header = len < 126 ? 2 : len <= 0xffff ? 4 : 10;
        const out = Buffer.allocUnsafe(header + 4 + len);
        out[0] = 0x80 | opcode;
        if (len < 126) {
            out[1] = 0x80 | len;
        } else if (len <= 0xffff) {
            out[1] = 0x80 | 126;
            out.writeUInt16BE(len, 2);
        } else {
            out[1] = 0x80 | 127;
            out.writeBigUInt64BE(BigInt(len), 2);
        }
        MASK.copy(out, header);
        for (let i = 0; i < len; i++) out[header + 4 + i] = payload[i] ^ MASK[i & 3];
        this.socket.write(out);
    }

    send(text) {
        this.frame(0x1, Buffer.from(text));
    }

    terminate() {
        this.socket.destroy();
    }
}

// ------------------------------------------------------------------ worker: holds sockets, records deliveries

function worker() {
    let sockets = [];
    let latencies = [];
    const perSeq = new Map(); // seq -> {count, last}
    let armed = false;

    function onFrame(text, t) {
        const i = text.indexOf(MARK);
        if (i < 0) return false;
        const j = text.indexOf('|', i + MARK.length);
        const k = text.indexOf('|', j + 1);
        const seq = Number(text.substring(i + MARK.length, j));
        const sent = Number(text.substring(j + 1, k));
        if (armed) {
            latencies.push(t - sent);
            const s = perSeq.get(seq);
            if (s) {
                s.count++;
                if (t > s.last) s.last = t;
            } else {
                perSeq.set(seq, { count: 1, last: t });
            }
        }
        return true;
    }

    function open(cfg, index) {
        return new Promise((resolve) => {
            let done = false;
            const finish = (ok, why) => {
                if (!done) {
                    done = true;
                    resolve({ ok, why });
                }
            };
            let port;
            let path;
            if (cfg.target === 'herald') {
                port = cfg.wsPort;
                path = `/api/v1/realtime?token=${encodeURIComponent(cfg.tokens[index % cfg.tokens.length])}`;
            } else if (cfg.target === 'floor') {
                port = cfg.port;
                path = '/';
            } else {
                port = cfg.port;
                path = `/app/${cfg.key}?protocol=7&client=js&version=8.4.0`;
            }
            const ws = new RawWebSocket(port, path, {
                error: (why) => finish(false, why),
                close: (code) => finish(false, 'closed ' + code),
                open: () => {
                    if (cfg.target !== 'soketi') {
                        ws.send(JSON.stringify({ type: 'subscribe', stream: 'channel:' + cfg.channel }));
                    }
                },
                text: (text, t) => {
                    if (onFrame(text, t)) return;
                    if (cfg.target !== 'soketi') {
                        if (text.includes('"type":"subscribed"')) finish(true);
                        else if (text.includes('"type":"error"')) finish(false, text);
                    } else {
                        if (text.includes('pusher:connection_established')) {
                            ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: cfg.pusherChannel } }));
                        } else if (text.includes('pusher_internal:subscription_succeeded')) {
                            finish(true);
                        } else if (text.includes('"pusher:ping"')) {
                            ws.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
                        } else if (text.includes('pusher:error')) {
                            finish(false, text);
                        }
                    }
                },
            });
            sockets.push(ws);
        });
    }

    process.on('message', async (msg) => {
        if (msg.cmd === 'connect') {
            const { cfg, from, to, inflight } = msg;
            let next = from;
            let ok = 0;
            const failures = [];
            async function lane() {
                while (next < to) {
                    const i = next++;
                    const r = await open(cfg, i);
                    if (r.ok) ok++;
                    else if (failures.length < 5) failures.push(r.why);
                    else failures.push(null);
                }
            }
            await Promise.all(Array.from({ length: Math.min(inflight, to - from) }, lane));
            process.send({ cmd: 'connected', ok, failed: failures.length, why: failures.filter(Boolean) });
        } else if (msg.cmd === 'arm') {
            latencies = [];
            perSeq.clear();
            armed = true;
            process.send({ cmd: 'armed' });
        } else if (msg.cmd === 'count') {
            let n = 0;
            for (const s of perSeq.values()) n += s.count;
            process.send({ cmd: 'count', n });
        } else if (msg.cmd === 'results') {
            armed = false;
            process.send({ cmd: 'results', latencies, perSeq: [...perSeq.entries()] });
        } else if (msg.cmd === 'close') {
            for (const ws of sockets) {
                ws.terminate();
            }
            sockets = [];
            await sleep(200);
            process.send({ cmd: 'closed' });
            process.exit(0);
        }
    });
    process.send({ cmd: 'ready' });
}

// ------------------------------------------------------------------ coordinator

function args() {
    const out = { workers: 2, publishes: 20, interval: 500, inflight: 200, idleWait: 3000 };
    const a = process.argv.slice(2);
    for (let i = 0; i < a.length; i += 2) {
        const key = a[i].replace(/^--/, '');
        out[key] = key === 'config' || key === 'target' ? a[i + 1] : Number(a[i + 1]);
    }
    out.config = JSON.parse(out.config);
    return out;
}

class Worker {
    constructor() {
        this.child = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_RT_WORKER: '1' }, serialization: 'advanced' });
        this.waiters = [];
        this.child.on('message', (m) => {
            const w = this.waiters.findIndex((x) => x.cmd === m.cmd);
            if (w >= 0) this.waiters.splice(w, 1)[0].resolve(m);
        });
        this.child.on('exit', (code) => {
            if (code !== 0 && !this.closing) {
                console.error('drive.mjs: worker exited with', code);
                process.exit(1);
            }
        });
    }
    expect(cmd) {
        return new Promise((resolve) => this.waiters.push({ cmd, resolve }));
    }
    async ask(msg, reply) {
        const p = this.expect(reply);
        this.child.send(msg);
        return p;
    }
}

function rssOf(pid) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(m[1]) * 1024;
}

// soketi's RSS keeps falling for a while after a busy run (V8 shrinks its heap when allocation stops), which made its
// idle-connection delta negative after the warm-up at the largest N: wait until it has stopped moving (Herald's
// baseline is taken after forced collections instead).
async function settled(pid, log) {
    const readings = [rssOf(pid)];
    for (let i = 0; i < 60; i++) {
        await sleep(500);
        readings.push(rssOf(pid));
        const recent = readings.slice(-5);
        if (recent.length === 5 && Math.max(...recent) - Math.min(...recent) < 1 << 20) return;
    }
    log(`RSS still moving after 30 s: ${readings.slice(-5).join(', ')}`);
}

async function memory(o) {
    if (o.target === 'herald') {
        const r = await fetch(`http://127.0.0.1:${o.config.memPort}/mem`);
        return await r.json();
    }
    return { rss: rssOf(o.config.pid) };
}

async function publish(o, seq) {
    const sent = now();
    const content = `${MARK}${seq}|${sent.toFixed(3)}|fan-out bench message`;
    let res;
    if (o.target === 'floor') {
        res = await fetch(`http://127.0.0.1:${o.config.publishPort}/publish`, { method: 'POST', body: content });
    } else if (o.target === 'herald') {
        res = await fetch(`http://127.0.0.1:${o.config.port}/api/v1/messages`, {
            method: 'POST',
            headers: { authorization: 'Bearer ' + o.config.tokens[0], 'content-type': 'application/json' },
            body: JSON.stringify({ channel_id: o.config.channel, content }),
        });
    } else {
        const { appId, key, secret } = o.config;
        const body = JSON.stringify({ name: 'message', channels: [o.config.pusherChannel], data: content });
        const path = `/apps/${appId}/events`;
        const params = `auth_key=${key}&auth_timestamp=${Math.floor(Date.now() / 1000)}&auth_version=1.0&body_md5=${createHash('md5').update(body).digest('hex')}`;
        const signature = createHmac('sha256', secret).update(`POST\n${path}\n${params}`).digest('hex');
        res = await fetch(`http://127.0.0.1:${o.config.port}${path}?${params}&auth_signature=${signature}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
        });
    }
    const text = await res.text();
    if (res.status >= 300) throw new Error(`publish ${seq}: HTTP ${res.status} ${text}`);
    return sent;
}

function percentile(sorted, p) {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function coordinator() {
    const o = args();
    o.config.target = o.target;
    o.config.pusherChannel = o.config.pusherChannel || 'bench';
    const n = o.n;
    const log = (s) => console.error(`drive.mjs [${o.target} N=${n}] ${s}`);

    const workers = Array.from({ length: o.workers }, () => new Worker());
    await Promise.all(workers.map((w) => w.expect('ready')));

    await sleep(1000);
    if (o.target === 'soketi') await settled(o.config.pid, log);
    const mem0 = await memory(o);
    log(`memory before: ${JSON.stringify(mem0)}; connecting ${n} sockets from ${o.workers} processes, ${o.inflight} handshakes in flight each`);
    const per = Math.ceil(n / o.workers);
    const t0 = now();
    const connected = await Promise.all(workers.map((w, k) =>
        w.ask({ cmd: 'connect', cfg: o.config, from: k * per, to: Math.min(n, (k + 1) * per), inflight: o.inflight }, 'connected')));
    const connectMs = now() - t0;
    const ok = connected.reduce((a, c) => a + c.ok, 0);
    const failed = connected.reduce((a, c) => a + c.failed, 0);
    const why = connected.flatMap((c) => c.why).slice(0, 5);
    log(`connect+subscribe: ${ok} ok, ${failed} failed in ${connectMs.toFixed(0)} ms ${why.length ? JSON.stringify(why) : ''}`);

    await sleep(o.idleWait);
    const mem1 = await memory(o);
    log(`memory after ${ok} idle subscribers: ${JSON.stringify(mem1)}`);

    await Promise.all(workers.map((w) => w.ask({ cmd: 'arm' }, 'armed')));
    const sends = [];
    for (let seq = 0; seq < o.publishes; seq++) {
        const started = now();
        sends.push(await publish(o, seq));
        const wait = o.interval - (now() - started);
        if (wait > 0) await sleep(wait);
    }
    const expected = ok * o.publishes;
    const deadline = now() + 20000;
    let got = 0;
    while (now() < deadline) {
        got = (await Promise.all(workers.map((w) => w.ask({ cmd: 'count' }, 'count')))).reduce((a, c) => a + c.n, 0);
        if (got >= expected) break;
        await sleep(200);
    }
    const results = await Promise.all(workers.map((w) => w.ask({ cmd: 'results' }, 'results')));
    const lat = Float64Array.from(results.flatMap((r) => r.latencies)).sort();
    const last = new Map();
    const counts = new Map();
    for (const r of results) {
        for (const [seq, s] of r.perSeq) {
            last.set(seq, Math.max(last.get(seq) ?? 0, s.last));
            counts.set(seq, (counts.get(seq) ?? 0) + s.count);
        }
    }
    let spanSum = 0;
    const spans = [];
    for (let seq = 0; seq < o.publishes; seq++) {
        if (!last.has(seq)) continue;
        const span = last.get(seq) - sends[seq];
        spans.push(span);
        spanSum += span;
    }
    const delivered = lat.length;
    log(`deliveries: ${delivered} of ${expected}`);

    for (const w of workers) w.closing = true;
    await Promise.all(workers.map((w) => w.ask({ cmd: 'close' }, 'closed')));

    const out = {
        target: o.target,
        n,
        subscribed: ok,
        connectFailures: failed,
        connectFailureSamples: why,
        connectMs,
        publishes: o.publishes,
        intervalMs: o.interval,
        expectedDeliveries: expected,
        delivered,
        p50: percentile(lat, 50),
        p99: percentile(lat, 99),
        max: lat.length ? lat[lat.length - 1] : NaN,
        fanoutSpanMedianMs: spans.length ? [...spans].sort((a, b) => a - b)[Math.floor(spans.length / 2)] : NaN,
        fanoutSpansMs: spans.map((x) => Math.round(x)),
        deliveriesPerSec: spanSum > 0 ? (delivered * 1000) / spanSum : NaN,
        memBefore: mem0,
        memAfter: mem1,
        rssPerConn: ok ? (mem1.rss - mem0.rss) / ok : NaN,
        heapPerConn: mem0.heapUsed != null && ok ? (mem1.heapUsed - mem0.heapUsed) / ok : null,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
}

if (process.env.BENCH_RT_WORKER === '1') {
    worker();
} else {
    coordinator().catch((e) => {
        console.error('drive.mjs:', e);
        process.exit(1);
    });
}
