// Unread badges (GET /notifications/badges) and read marks (POST /notifications/mark_read).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { World, sdk, waitForSubject, feed, suffix } from './world.mjs';

let w;
let app;
let reader; // member of products A and B: sees experiences A and B
let neighbour; // member of product A only, reads nothing

before(async () => {
  w = await World.create('badges');
  app = sdk(await w.appKey());
  reader = await w.customer('Reader', w.productA.id, w.productB.id);
  neighbour = await w.customer('Neighbour', w.productA.id);
});

async function badges(user) {
  const body = await user.client.get('/notifications/badges');
  assert.ok(Array.isArray(body?.data), `badges body is {data: [...]}: ${JSON.stringify(body)}`);
  return body.data;
}

async function badge(user, experienceId) {
  const found = (await badges(user)).find((b) => b.experience_id === experienceId);
  assert.ok(found, `a badge for ${experienceId}`);
  return found;
}

async function send(experienceId, extra = {}) {
  const title = `badge ${suffix()}`;
  assert.deepEqual(await app.notifications.create({ experience_id: experienceId, title, content: 'c', ...extra }), { success: true });
  return title;
}

test('every experience the user can see has a badge, nothing unread at first', async () => {
  const all = await badges(reader);
  const ids = all.map((b) => b.experience_id).sort();
  assert.deepEqual(ids, [w.experienceA.id, w.experienceB.id].sort());
  for (const b of all) {
    const exp = b.experience_id === w.experienceA.id ? w.experienceA : w.experienceB;
    assert.deepEqual(b.experience, { id: exp.id, name: exp.name });
    assert.equal(b.has_unread, false);
    assert.equal(b.important_count, 0);
    assert.ok(Object.hasOwn(b, 'last_viewed_at'), 'last_viewed_at is present');
    assert.equal(b.last_viewed_at, null);
  }
});

test('a notification makes its experience unread; mentions count as important', async () => {
  await waitForSubject(reader, await send(w.experienceA.id));
  let a = await badge(reader, w.experienceA.id);
  assert.equal(a.has_unread, true);
  assert.equal(a.important_count, 0, 'a broadcast is not a mention');
  assert.equal((await badge(reader, w.experienceB.id)).has_unread, false, 'experience B untouched');

  await waitForSubject(reader, await send(w.experienceA.id, { user_ids: [reader.id] }));
  await waitForSubject(reader, await send(w.experienceA.id, { user_ids: [reader.id, neighbour.id] }));
  a = await badge(reader, w.experienceA.id);
  assert.equal(a.has_unread, true);
  assert.equal(a.important_count, 2);
  assert.equal((await badge(reader, w.experienceB.id)).important_count, 0);
});

test('mark_read for one experience clears it, and only it, and only for this user', async () => {
  await waitForSubject(reader, await send(w.experienceB.id));
  assert.equal((await badge(reader, w.experienceB.id)).has_unread, true);

  const before = Date.now();
  assert.deepEqual(
    await reader.client.post('/notifications/mark_read', { body: { experience_id: w.experienceA.id } }),
    { success: true },
  );

  const a = await badge(reader, w.experienceA.id);
  assert.equal(a.has_unread, false);
  assert.equal(a.important_count, 0, 'read mentions are no longer important');
  assert.equal(typeof a.last_viewed_at, 'string');
  assert.ok(Math.abs(Date.parse(a.last_viewed_at) - before) < 5 * 60_000, `last_viewed_at ${a.last_viewed_at} is about now`);

  const unreadA = await feed(reader, { unread: true, experience_id: w.experienceA.id });
  assert.deepEqual(unreadA, [], 'no unread notifications left in experience A');
  const unread = await feed(reader, { unread: true });
  assert.ok(unread.length > 0, 'experience B is still unread');
  assert.ok(unread.every((n) => n.experience?.id !== w.experienceA.id), 'unread feed holds nothing of experience A');
  assert.equal((await badge(reader, w.experienceB.id)).has_unread, true, 'experience B still unread');

  // Reading is per user.
  const theirs = await badge(neighbour, w.experienceA.id);
  assert.equal(theirs.has_unread, true);
  assert.equal(theirs.important_count, 1);

  // The full feed still lists what was read.
  const everything = await feed(reader, { experience_id: w.experienceA.id });
  assert.equal(everything.length, 3);
});

test('a new notification after mark_read is unread again', async () => {
  const title = await send(w.experienceA.id);
  await waitForSubject(reader, title);
  assert.equal((await badge(reader, w.experienceA.id)).has_unread, true);
  const unread = await feed(reader, { unread: true, experience_id: w.experienceA.id });
  assert.deepEqual(unread.map((n) => n.subject), [title]);
});

test('mark_read {all: true} clears every experience', async () => {
  await waitForSubject(reader, await send(w.experienceB.id, { user_ids: [reader.id] }));
  assert.equal((await badge(reader, w.experienceB.id)).important_count, 1);

  assert.deepEqual(await reader.client.post('/notifications/mark_read', { body: { all: true } }), { success: true });
  for (const b of await badges(reader)) {
    assert.equal(b.has_unread, false, `badge of ${b.experience_id}`);
    assert.equal(b.important_count, 0, `important_count of ${b.experience_id}`);
    assert.equal(typeof b.last_viewed_at, 'string', `last_viewed_at of ${b.experience_id}`);
  }
  assert.deepEqual(await feed(reader, { unread: true }), []);
});
