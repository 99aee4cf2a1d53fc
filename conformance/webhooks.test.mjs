// Webhooks through the SDK: endpoints managed with client.webhooks.*, and deliveries to a receiver on
// 127.0.0.1 (the test server allows private targets) that verify with the standardwebhooks package
// and with the SDK's client.webhooks.unwrap, while a tampered body or a wrong key is rejected by both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Whop, { NotFoundError } from '@whop/sdk';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { HERALD_URL, World, eventually, sdk } from './world.mjs';

let w;
let alice;
let client;
let receiver;
const received = [];

before(async () => {
  w = await World.create('webhooks');
  alice = await w.customer('Alice', w.productA.id);
  client = sdk(await w.companyKey(['developer:manage_webhook']));
  receiver = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(() => new Promise((resolve) => receiver.close(resolve)));

function receiverUrl(path) {
  return `http://127.0.0.1:${receiver.address().port}${path}`;
}

async function deliveriesTo(path, count) {
  return eventually(
    () => received.filter((r) => r.path === path),
    (hits) => hits.length >= count,
    { what: `${count} webhook deliveries to ${path}` },
  );
}

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('webhooks create, retrieve, list, update and delete through the SDK', async () => {
  const created = await client.webhooks.create({ url: 'https://hooks.example.test/crud', events: ['chat.message.created'] });
  assert.match(created.id, /^hook_/);
  assert.match(created.webhook_secret, /^whsec_/);
  assert.equal(created.resource_id, w.companyId);
  assert.deepEqual(created.events, ['chat.message.created']);
  assert.equal(created.enabled, true);
  assert.equal(created.api_version, 'v1');

  const fetched = await client.webhooks.retrieve(created.id);
  assert.equal(fetched.url, 'https://hooks.example.test/crud');
  assert.equal('webhook_secret' in fetched, false);

  const listed = await collect(client.webhooks.list({ company_id: w.companyId, first: 1 }));
  assert.ok(listed.some((hook) => hook.id === created.id));

  const updated = await client.webhooks.update(created.id, { enabled: false, events: ['membership.activated'] });
  assert.equal(updated.enabled, false);
  assert.deepEqual(updated.events, ['membership.activated']);

  assert.equal(await client.webhooks.delete(created.id), true);
  await assert.rejects(client.webhooks.retrieve(created.id), NotFoundError);
});

test('a chat.message.created delivery verifies with standardwebhooks and webhooks.unwrap; tampering does not', async () => {
  const hook = await client.webhooks.create({ url: receiverUrl('/chat'), events: ['chat.message.created'] });
  const message = await alice.client.messages.create({ channel_id: w.experienceA.id, content: 'Signed and sealed' });
  const [delivery] = await deliveriesTo('/chat', 1);

  assert.equal(delivery.headers['content-type'], 'application/json');
  assert.match(delivery.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
  const verified = new Webhook(hook.webhook_secret).verify(delivery.body, delivery.headers);
  assert.equal(verified.id, delivery.headers['webhook-id']);

  const event = client.webhooks.unwrap(delivery.body, { headers: delivery.headers, key: hook.webhook_secret });
  assert.equal(event.type, 'chat.message.created');
  assert.equal(event.api_version, 'v1');
  assert.equal(event.company_id, w.companyId);
  assert.equal(event.data.message.id, message.id);
  assert.equal(event.data.message.content, 'Signed and sealed');
  assert.deepEqual(event.data.channel, { experience_id: w.experienceA.id, id: event.data.channel.id, type: 'chat' });
  assert.equal(event.data.audience.type, 'channel');

  // The secret can also be the client's webhookKey (WHOP_WEBHOOK_SECRET), as the SDK documents.
  const keyed = new Whop({ apiKey: 'unused', baseURL: `${HERALD_URL}/api/v1`, webhookKey: hook.webhook_secret });
  assert.equal(keyed.webhooks.unwrap(delivery.body, { headers: delivery.headers }).id, event.id);

  const tampered = delivery.body.replace('Signed and sealed', 'Signed and forged');
  assert.notEqual(tampered, delivery.body);
  assert.throws(() => new Webhook(hook.webhook_secret).verify(tampered, delivery.headers), WebhookVerificationError);
  assert.throws(() => client.webhooks.unwrap(tampered, { headers: delivery.headers, key: hook.webhook_secret }),
    WebhookVerificationError);
  const otherSecret = (await client.webhooks.create({ url: 'https://hooks.example.test/other' })).webhook_secret;
  assert.throws(() => client.webhooks.unwrap(delivery.body, { headers: delivery.headers, key: otherSecret }),
    WebhookVerificationError);
});

test('reactions and memberships arrive as the SDK UnwrapWebhookEvent shapes', async () => {
  const hook = await client.webhooks.create({
    url: receiverUrl('/mixed'),
    events: ['chat.reaction.created', 'membership.activated', 'membership.deactivated'],
  });
  const message = await alice.client.messages.create({ channel_id: w.experienceA.id, content: 'React here' });
  const reaction = await alice.client.reactions.create({ resource_id: message.id, emoji: ':tada:' });
  const bob = await w.user('Bob');
  const membership = await w.member(bob.id, w.productB.id);
  await w.cancel(membership.id);

  const hits = await deliveriesTo('/mixed', 3);
  const events = hits.map((hit) => client.webhooks.unwrap(hit.body, { headers: hit.headers, key: hook.webhook_secret }));
  const byType = Object.fromEntries(events.map((e) => [e.type, e]));
  assert.deepEqual(Object.keys(byType).sort(), ['chat.reaction.created', 'membership.activated', 'membership.deactivated']);
  assert.equal(byType['chat.reaction.created'].data.reaction.id, reaction.id);
  assert.equal(byType['chat.reaction.created'].data.message.id, message.id);
  assert.equal(byType['membership.activated'].data.id, membership.id);
  assert.equal(byType['membership.activated'].data.status, 'active');
  assert.equal(byType['membership.deactivated'].data.status, 'canceled');
  assert.equal(new Set(hits.map((hit) => hit.headers['webhook-id'])).size, 3);
});
