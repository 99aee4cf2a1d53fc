// Idempotency-Key on client.notifications.create: a replay answers the same and delivers nothing new.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import Whop, { UnprocessableEntityError } from '@whop/sdk';
import { World, sdk, waitForSubject, withSubject, feed, suffix } from './world.mjs';

let w;
let app;
let customer;

before(async () => {
  w = await World.create('idempotency');
  app = sdk(await w.appKey());
  customer = await w.customer('Subscriber', w.productA.id);
});

/**
 * Sends a marker notification without a key and waits for it, then waits a little longer: any
 * notification accepted before it has had its delivery job picked up and finished by then.
 */
async function settle() {
  const marker = `marker ${suffix()}`;
  await app.notifications.create({ experience_id: w.experienceA.id, title: marker, content: 'marker' });
  await waitForSubject(customer, marker);
  await sleep(300);
}

test('the same key and body twice succeed twice and deliver one notification', async () => {
  const key = `conformance-${suffix()}`;
  const title = `idempotent ${suffix()}`;
  const body = { experience_id: w.experienceA.id, title, content: 'Only once, please' };

  const first = await app.notifications.create(body, { headers: { 'Idempotency-Key': key } });
  const second = await app.notifications.create({ ...body }, { headers: { 'Idempotency-Key': key } });
  assert.deepEqual(first, { success: true });
  assert.deepEqual(second, { success: true });

  await waitForSubject(customer, title);
  await settle();
  assert.equal((await withSubject(customer, title)).length, 1, 'exactly one notification in the feed');
});

test('replays that race each other still deliver one notification', async () => {
  const key = `conformance-race-${suffix()}`;
  const title = `raced ${suffix()}`;
  const body = { experience_id: w.experienceA.id, title, content: 'Raced' };
  const results = await Promise.all(
    Array.from({ length: 5 }, () => app.notifications.create(body, { headers: { 'Idempotency-Key': key } })),
  );
  for (const r of results) {
    assert.deepEqual(r, { success: true });
  }
  await waitForSubject(customer, title);
  await settle();
  assert.equal((await withSubject(customer, title)).length, 1);
});

test('the same key with a different body is an UnprocessableEntityError and delivers nothing', async () => {
  const key = `conformance-${suffix()}`;
  const title = `original ${suffix()}`;
  await app.notifications.create(
    { experience_id: w.experienceA.id, title, content: 'Original' },
    { headers: { 'Idempotency-Key': key } },
  );
  const changedTitle = `changed ${suffix()}`;
  const err = await app.notifications.create(
    { experience_id: w.experienceA.id, title: changedTitle, content: 'Changed' },
    { headers: { 'Idempotency-Key': key } },
  ).then(
    (value) => assert.fail(`expected a 422, got ${JSON.stringify(value)}`),
    (e) => e,
  );
  assert.ok(err instanceof Whop.UnprocessableEntityError, `got ${err?.constructor?.name}: ${err?.message}`);
  assert.ok(err instanceof UnprocessableEntityError);
  assert.equal(err.status, 422);
  assert.equal(typeof err.error?.error?.code, 'string', JSON.stringify(err.error));

  await waitForSubject(customer, title);
  await settle();
  assert.equal((await withSubject(customer, title)).length, 1);
  assert.deepEqual(await withSubject(customer, changedTitle), [], 'the rejected body was not delivered');
});

test('keys are scoped to the caller: another API key with the same key sends its own notification', async () => {
  const otherApp = sdk(await w.appKey());
  const key = `conformance-shared-${suffix()}`;
  const title = `scoped ${suffix()}`;
  const body = { experience_id: w.experienceA.id, title, content: 'Scoped' };
  assert.deepEqual(await app.notifications.create(body, { headers: { 'Idempotency-Key': key } }), { success: true });
  assert.deepEqual(await otherApp.notifications.create(body, { headers: { 'Idempotency-Key': key } }), { success: true });
  await eventuallyCount(title, 2);
});

async function eventuallyCount(title, count) {
  const deadline = Date.now() + 5000;
  let seen;
  do {
    seen = (await feed(customer)).filter((n) => n.subject === title).length;
    if (seen === count) {
      return;
    }
    await sleep(40);
  } while (Date.now() < deadline);
  assert.equal(seen, count, `notifications titled ${title}`);
}
