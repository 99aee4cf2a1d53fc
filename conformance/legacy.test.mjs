// The legacy topic-based API, POST /api/v2/app/notifications, called through the SDK's generic client.post.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '@whop/sdk';
import { World, legacySdk, waitForSubject, withSubject, suffix } from './world.mjs';

let w;
let legacy; // SDK client on /api/v2 with the app's API key
let topic;
let customerA;
let customerB;
let cancelled;
let teamMember;
let outsider;

before(async () => {
  w = await World.create('legacy');
  legacy = legacySdk(await w.appKey());
  topic = await w.topic(`new_post_${suffix()}`, 'New posts');
  customerA = await w.customer('Legacy A', w.productA.id);
  customerB = await w.customer('Legacy B', w.productB.id);
  cancelled = await w.customer('Legacy Gone', w.productA.id);
  await w.cancel(cancelled.memberships[0].id);
  teamMember = await w.teamMember('Legacy Team');
  outsider = await w.user('Legacy Outsider');
});

function send(targets, data, extra = {}) {
  return legacy.post('/app/notifications', {
    body: { topic_identifier: topic.identifier, notification_data: data, targets, ...extra },
  });
}

function all(subject, content = 'Legacy content') {
  return { all: { subject, content } };
}

async function rejection(promise) {
  return promise.then((value) => assert.fail(`expected a 400, got ${JSON.stringify(value)}`), (e) => e);
}

describe('targets', () => {
  test('users: listed users the app can reach, outsiders skipped', async () => {
    const subject = `legacy users ${suffix()}`;
    assert.deepEqual(await send([{ users: [customerA.id, teamMember.id, outsider.id] }], all(subject)), { success: true });
    const n = await waitForSubject(customerA, subject);
    await waitForSubject(teamMember, subject);
    assert.equal(n.content, 'Legacy content');
    assert.equal(n.topic?.id, topic.id);
    assert.equal(n.topic?.identifier, topic.identifier);
    assert.equal(n.topic?.name, 'New posts');
    assert.equal(n.account?.id, w.companyId);
    assert.deepEqual(await withSubject(outsider, subject), [], 'outsider');
    assert.deepEqual(await withSubject(customerB, subject), [], 'not listed');
  });

  test('products: the owners of the product', async () => {
    const subject = `legacy products ${suffix()}`;
    assert.deepEqual(await send([{ products: [w.productA.id] }], all(subject)), { success: true });
    await waitForSubject(customerA, subject);
    assert.deepEqual(await withSubject(customerB, subject), [], 'owner of another product');
    assert.deepEqual(await withSubject(cancelled, subject), [], 'cancelled owner');
    assert.deepEqual(await withSubject(outsider, subject), [], 'outsider');
  });

  test('companies: users with an active product of the company', async () => {
    const subject = `legacy companies ${suffix()}`;
    assert.deepEqual(await send([{ companies: [w.companyId] }], all(subject)), { success: true });
    const a = await waitForSubject(customerA, subject);
    await waitForSubject(customerB, subject);
    assert.equal(a.account?.id, w.companyId);
    assert.deepEqual(await withSubject(cancelled, subject), [], 'cancelled member');
    assert.deepEqual(await withSubject(outsider, subject), [], 'outsider');
  });

  test('experiences: users with access through a product', async () => {
    const subject = `legacy experiences ${suffix()}`;
    assert.deepEqual(await send([{ experiences: [w.experienceA.id] }], all(subject)), { success: true });
    const n = await waitForSubject(customerA, subject);
    assert.equal(n.experience?.id, w.experienceA.id);
    assert.deepEqual(await withSubject(customerB, subject), [], 'member of another experience');
    assert.deepEqual(await withSubject(cancelled, subject), [], 'cancelled member');
    assert.deepEqual(await withSubject(outsider, subject), [], 'outsider');
  });

  test('several targets are a union, delivered once per user', async () => {
    const subject = `legacy union ${suffix()}`;
    assert.deepEqual(
      await send([{ products: [w.productA.id] }, { experiences: [w.experienceA.id], users: [customerA.id] }], all(subject)),
      { success: true },
    );
    await waitForSubject(customerA, subject);
    assert.equal((await withSubject(customerA, subject)).length, 1);
    assert.deepEqual(await withSubject(customerB, subject), []);
  });
});

describe('notification_data', () => {
  test('the feed shows the in_app text when in_app and mobile differ', async () => {
    const subject = `in app ${suffix()}`;
    const data = {
      in_app: { subject, content: 'In-app body' },
      mobile: { subject: `push ${suffix()}`, content: 'Push body' },
    };
    assert.deepEqual(await send([{ users: [customerA.id] }], data), { success: true });
    const n = await waitForSubject(customerA, subject);
    assert.equal(n.content, 'In-app body');
    assert.deepEqual(await withSubject(customerA, data.mobile.subject), []);
  });

  test('in_app without mobile is a 400 naming notification_data.mobile', async () => {
    const err = await rejection(send([{ users: [customerA.id] }], { in_app: { subject: 's', content: 'c' } }));
    assert.ok(err instanceof BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 400);
    assert.equal(err.error?.error?.param, 'notification_data.mobile');
    assert.equal(err.error?.error?.code, 'parameter_missing');
  });

  test('an unknown topic is a 400', async () => {
    const err = await rejection(legacy.post('/app/notifications', {
      body: {
        topic_identifier: `never_registered_${suffix()}`,
        notification_data: all('x'),
        targets: [{ users: [customerA.id] }],
      },
    }));
    assert.ok(err instanceof BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, 400);
    assert.equal(err.error?.error?.param, 'topic_identifier');
  });
});
