// Support channels, DM channels and DM members through the official SDK, with messages posted into them.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, PermissionDeniedError } from '@whop/sdk';
import { World, sdk } from './world.mjs';

let w;
let team;
let support;

before(async () => {
  w = await World.create('support');
  team = await w.teamMember('Agent');
  support = sdk(await w.companyKey(['support_chat:create', 'support_chat:read', 'chat:message:create']));
});

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('supportChannels.create returns the one channel per customer, also for concurrent calls and by username', async () => {
  const customer = await w.customer('Customer', w.productA.id);
  const opened = await Promise.all(
    Array.from({ length: 10 }, () => support.supportChannels.create({ company_id: w.companyId, user_id: customer.id })),
  );
  assert.equal(new Set(opened.map((c) => c.id)).size, 1);
  const channel = opened[0];
  assert.match(channel.id, /^channel_/);
  assert.equal(channel.company_id, w.companyId);
  assert.deepEqual(channel.customer_user, { id: customer.id, name: customer.name, username: customer.username });
  assert.equal(channel.custom_name, null);
  assert.equal(channel.last_message_at, null);
  assert.equal(channel.resolved_at, null);
  const byUsername = await team.client.supportChannels.create({ company_id: w.companyId, user_id: customer.username });
  assert.equal(byUsername.id, channel.id);
  assert.deepEqual(await customer.client.supportChannels.retrieve(channel.id), byUsername);
});

test('a support thread: customer and company post through messages, resolve, reopen on the customer reply', async () => {
  const customer = await w.customer('Asker', w.productA.id);
  const channel = await customer.client.supportChannels.create({
    company_id: w.companyId, user_id: customer.id, custom_name: 'Refund',
  });
  assert.equal(channel.custom_name, 'Refund');
  await customer.client.messages.create({ channel_id: channel.id, content: 'I need a refund' });
  await support.messages.create({ channel_id: channel.id, content: 'Done!' });
  const thread = await collect(support.messages.list({ channel_id: channel.id, direction: 'asc' }));
  assert.deepEqual(thread.map((m) => m.content), ['I need a refund', 'Done!']);

  const resolved = await team.client.post(`/support_channels/${channel.id}/resolve`);
  assert.ok(resolved.resolved_at);
  assert.ok(resolved.last_message_at);
  const open = await collect(support.supportChannels.list({ company_id: w.companyId, open: true }));
  assert.ok(!open.some((c) => c.id === channel.id));
  await customer.client.messages.create({ channel_id: channel.id, content: 'Still waiting' });
  assert.equal((await support.supportChannels.retrieve(channel.id)).resolved_at, null);
  await assert.rejects(customer.client.post(`/support_channels/${channel.id}/resolve`), PermissionDeniedError);

  const outsider = await w.user('Outsider');
  await assert.rejects(outsider.client.supportChannels.retrieve(channel.id), NotFoundError);
  await assert.rejects(outsider.client.messages.create({ channel_id: channel.id, content: 'hi' }), NotFoundError);
  const chatOnly = sdk(await w.companyKey(['chat:read']));
  await assert.rejects(chatOnly.supportChannels.retrieve(channel.id), PermissionDeniedError);
});

test('supportChannels.list walks every thread once in the requested order', async () => {
  const w2 = await World.create('support-list');
  const key = sdk(await w2.companyKey(['support_chat:create', 'support_chat:read']));
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const c = await w2.customer(`C${i}`, w2.productA.id);
    ids.push((await key.supportChannels.create({ company_id: w2.companyId, user_id: c.id })).id);
  }
  const desc = await collect(key.supportChannels.list({ company_id: w2.companyId, first: 2 }));
  assert.deepEqual(desc.map((c) => c.id), [...ids].reverse());
  const asc = await collect(key.supportChannels.list({ company_id: w2.companyId, first: 2, direction: 'asc', order: 'created_at' }));
  assert.deepEqual(asc.map((c) => c.id), ids);
  const byPost = await collect(key.supportChannels.list({ company_id: w2.companyId, order: 'last_post_sent_at', first: 3 }));
  assert.equal(byPost.length, 5);
  const foreign = sdk(await w.companyKey(['support_chat:read']));
  await assert.rejects(foreign.supportChannels.list({ company_id: w2.companyId }).then((p) => p.data), NotFoundError);
});

test('dmChannels: create (existing one returned), list, retrieve, update, delete; posting with messages', async () => {
  const ann = await w.user('Ann');
  const ben = await w.user('Ben');
  const dm = await ann.client.dmChannels.create({ with_user_ids: [ben.id] });
  assert.match(dm.id, /^channel_/);
  assert.equal(dm.name, 'Ben');
  assert.equal(dm.last_message_at, null);
  assert.ok(dm.created_at);
  assert.equal((await ben.client.dmChannels.create({ with_user_ids: [ann.username] })).id, dm.id);

  await ben.client.messages.create({ channel_id: dm.id, content: 'hey Ann' });
  const seen = await collect(ann.client.messages.list({ channel_id: dm.id }));
  assert.deepEqual(seen.map((m) => m.content), ['hey Ann']);
  const listed = await collect(ann.client.dmChannels.list({ first: 1 }));
  assert.ok(listed.some((c) => c.id === dm.id && c.last_message_at));

  const renamed = await ben.client.dmChannels.update(dm.id, { custom_name: 'Lunch' });
  assert.equal(renamed.name, 'Lunch');
  assert.equal((await ann.client.dmChannels.retrieve(dm.id)).name, 'Lunch');
  const eve = await w.user('Eve');
  await assert.rejects(eve.client.dmChannels.retrieve(dm.id), NotFoundError);
  await assert.rejects(eve.client.messages.list({ channel_id: dm.id }).then((p) => p.data), NotFoundError);
  await assert.rejects(ben.client.dmChannels.delete(dm.id), PermissionDeniedError);
  assert.equal(await ann.client.dmChannels.delete(dm.id), true);
  await assert.rejects(ben.client.dmChannels.retrieve(dm.id), NotFoundError);
});

test('dmMembers: list, add, retrieve, update your own, leave', async () => {
  const ann = await w.user('Ann');
  const ben = await w.user('Ben');
  const cal = await w.user('Cal');
  const dm = await ann.client.dmChannels.create({ with_user_ids: [ben.id], custom_name: 'Trio' });
  const members = await collect(ben.client.dmMembers.list({ channel_id: dm.id }));
  assert.deepEqual(members.map((m) => m.user_id).sort(), [ann.id, ben.id].sort());
  assert.ok(members.every((m) => m.channel_id === dm.id && m.status === 'accepted' && /^dmm_/.test(m.id)));

  const added = await ben.client.dmMembers.create({ channel_id: dm.id, user_id: cal.id });
  assert.equal(added.user_id, cal.id);
  assert.equal(added.notification_preference, 'all');
  assert.equal(added.last_viewed_at, null);
  assert.deepEqual(await cal.client.dmMembers.retrieve(added.id), added);
  await cal.client.messages.create({ channel_id: dm.id, content: 'thanks for adding me' });

  const quiet = await cal.client.dmMembers.update(added.id, { notification_preference: 'none', status: 'archived' });
  assert.equal(quiet.notification_preference, 'none');
  assert.equal(quiet.status, 'archived');
  const annMembership = members.find((m) => m.user_id === ann.id);
  await assert.rejects(cal.client.dmMembers.update(annMembership.id, { status: 'hidden' }), PermissionDeniedError);

  assert.equal(await cal.client.dmMembers.delete(added.id), true);
  await assert.rejects(cal.client.messages.create({ channel_id: dm.id, content: 'still here?' }), NotFoundError);
  const after = await collect(ann.client.dmMembers.list({ channel_id: dm.id }));
  assert.equal(after.length, 2);
});
