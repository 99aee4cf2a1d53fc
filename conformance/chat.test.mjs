// Chat through the official SDK: channels, messages, moderation errors and auto-pagination walks.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import Whop, { BadRequestError, NotFoundError, PermissionDeniedError, RateLimitError } from '@whop/sdk';
import { World, sdk } from './world.mjs';

let w;
let member;
let team;
let app;

before(async () => {
  w = await World.create('chat');
  member = await w.customer('Chatter', w.productA.id);
  team = await w.teamMember('Moderator');
  app = sdk(await w.appKey(['chat:read', 'chat:message:create', 'chat:moderate']));
});

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

test('channels: retrieve by experience id, list by company, update moderation', async () => {
  const channel = await member.client.chatChannels.retrieve(w.experienceA.id);
  assert.match(channel.id, /^channel_/);
  assert.equal(channel.experience.id, w.experienceA.id);
  assert.deepEqual(await member.client.chatChannels.retrieve(channel.id), channel);
  const all = await collect(app.chatChannels.list({ company_id: w.companyId, first: 1 }));
  assert.deepEqual(all.map((c) => c.experience.id).sort(), [w.experienceA.id, w.experienceB.id].sort());
  const updated = await team.client.chatChannels.update(channel.id, {
    banned_words: ['spam'], who_can_post: 'everyone', who_can_react: 'everyone', user_posts_cooldown_seconds: null,
  });
  assert.deepEqual(updated.banned_words, ['spam']);
  await assert.rejects(member.client.chatChannels.update(channel.id, { ban_urls: true }), PermissionDeniedError);
});

test('messages: create, retrieve, update, delete with the SDK types', async () => {
  const created = await member.client.messages.create({ channel_id: w.experienceA.id, content: 'Hello **world**' });
  assert.match(created.id, /^msg_/);
  assert.equal(created.user.id, member.id);
  assert.equal(created.is_edited, false);
  assert.deepEqual(created.reaction_counts, []);
  const fetched = await member.client.messages.retrieve(created.id);
  assert.equal(fetched.content, 'Hello **world**');
  const edited = await member.client.messages.update(created.id, { content: 'Hello again' });
  assert.equal(edited.is_edited, true);
  const pinned = await team.client.messages.update(created.id, { is_pinned: true });
  assert.equal(pinned.is_pinned, true);
  assert.equal(await member.client.messages.delete(created.id), true);
  await assert.rejects(member.client.messages.retrieve(created.id), NotFoundError);
});

test('an app key posts as its bot', async () => {
  const m = await app.messages.create({ channel_id: w.experienceA.id, content: 'From the app' });
  assert.match(m.user.username, /^bot-/);
});

test('moderation and access errors arrive as SDK error classes', async () => {
  const w2 = await World.create('chat-mod');
  const mod = await w2.teamMember('Mod2');
  const user = await w2.customer('Poster', w2.productA.id);
  const channel = await mod.client.chatChannels.update(w2.experienceA.id, { banned_words: ['scam'], user_posts_cooldown_seconds: 30 });
  const banned = await user.client.messages.create({ channel_id: channel.id, content: 'a SCAM!' }).catch((e) => e);
  assert.ok(banned instanceof BadRequestError, String(banned));
  assert.equal(banned.error.error.code, 'banned_word');
  await user.client.messages.create({ channel_id: channel.id, content: 'first' });
  const slow = await user.client.messages.create({ channel_id: channel.id, content: 'second' }).catch((e) => e);
  assert.ok(slow instanceof RateLimitError, String(slow));
  assert.ok(Number(slow.headers.get('retry-after')) >= 1);
  const outsider = await w2.user('Outsider');
  await assert.rejects(outsider.client.messages.list({ channel_id: channel.id }).then((p) => p.data), NotFoundError);
});

test('for await visits every message exactly once in both directions, also while messages arrive', async () => {
  const w3 = await World.create('chat-walk');
  const poster = await w3.customer('Walker', w3.productA.id, w3.productB.id);
  const ids = [];
  for (let i = 0; i < 17; i++) {
    ids.push((await poster.client.messages.create({ channel_id: w3.experienceA.id, content: `m${i}` })).id);
  }
  const asc = [];
  let injected = false;
  for await (const m of poster.client.messages.list({ channel_id: w3.experienceA.id, direction: 'asc', first: 4 })) {
    asc.push(m.id);
    if (!injected && asc.length === 5) {
      injected = true;
      ids.push((await poster.client.messages.create({ channel_id: w3.experienceA.id, content: 'late' })).id);
    }
  }
  assert.deepEqual(asc, ids);
  const desc = [];
  for await (const m of poster.client.messages.list({ channel_id: w3.experienceA.id, direction: 'desc', first: 5 })) {
    desc.push(m.id);
    if (desc.length === 3) {
      await poster.client.messages.create({ channel_id: w3.experienceA.id, content: 'newer than the walk' });
    }
  }
  assert.deepEqual(desc, [...ids].reverse());
  const one = await collect(poster.client.messages.list({ channel_id: w3.experienceA.id, first: 100 }));
  assert.equal(one.length, ids.length + 1);
  const empty = await collect(poster.client.messages.list({ channel_id: w3.experienceB.id }));
  assert.deepEqual(empty, []);
});
