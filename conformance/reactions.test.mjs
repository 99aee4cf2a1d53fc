// Reactions and poll votes through the SDK: create/list/retrieve/delete, both delete forms, and the
// counts messages.retrieve shows (reaction_counts aggregate every spelling of an emoji; poll_votes
// follow a moved vote).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError, NotFoundError, PermissionDeniedError } from '@whop/sdk';
import { World, sdk } from './world.mjs';

// Herald's one spelling of :heart:, ❤️ and ❤: Unicode without the U+FE0F variation selector.
const HEART = '\u2764';

let w;
let alice;
let bob;
let team;

before(async () => {
  w = await World.create('reactions');
  alice = await w.customer('Alice', w.productA.id);
  bob = await w.customer('Bob', w.productA.id);
  team = await w.teamMember('Mod');
});

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function message(user, content) {
  return user.client.messages.create({ channel_id: w.experienceA.id, content });
}

test('reactions.create returns the SDK Reaction, and every spelling of an emoji is one reaction', async () => {
  const m = await message(alice, 'React to this');
  const reaction = await alice.client.reactions.create({ resource_id: m.id, emoji: ':heart:' });
  assert.match(reaction.id, /^reac_/);
  assert.equal(reaction.emoji, HEART);
  assert.equal(reaction.resource_id, m.id);
  assert.deepEqual(reaction.user, { id: alice.id, name: 'Alice', username: alice.username });
  const again = await alice.client.reactions.create({ resource_id: m.id, emoji: '\u2764\uFE0F' });
  assert.equal(again.id, reaction.id);
  await bob.client.reactions.create({ resource_id: m.id, emoji: HEART });
  await bob.client.reactions.create({ resource_id: m.id, emoji: ':+1:' });
  const fetched = await alice.client.messages.retrieve(m.id);
  assert.deepEqual(fetched.reaction_counts, [{ count: 2, emoji: HEART }, { count: 1, emoji: '👍' }]);
  assert.deepEqual(await bob.client.reactions.retrieve(reaction.id), reaction);
});

test('reactions.list auto-paginates over every reaction once, oldest first', async () => {
  const m = await message(alice, 'Many reactions');
  const ids = [];
  for (const emoji of ['🔥', '🎉', '🚀', '👀', '💯']) {
    ids.push((await alice.client.reactions.create({ resource_id: m.id, emoji })).id);
  }
  ids.push((await bob.client.reactions.create({ resource_id: m.id, emoji: ':rocket:' })).id);
  const listed = await collect(alice.client.reactions.list({ resource_id: m.id, first: 2 }));
  assert.deepEqual(listed.map((r) => r.id), ids);
  assert.equal(listed[5].user.id, bob.id);
  const empty = await collect(alice.client.reactions.list({ resource_id: (await message(alice, 'quiet')).id }));
  assert.deepEqual(empty, []);
});

test('poll votes: one per user, moving it keeps the count exact', async () => {
  const m = await alice.client.messages.create({
    channel_id: w.experienceA.id,
    content: 'Pizza or sushi?',
    poll: { options: [{ id: '1', text: 'Pizza' }, { id: '2', text: 'Sushi' }] },
  });
  const vote = await alice.client.reactions.create({ resource_id: m.id, poll_option_id: '1' });
  assert.equal(vote.emoji, null);
  await bob.client.reactions.create({ resource_id: m.id, poll_option_id: '1' });
  const moved = await alice.client.reactions.create({ resource_id: m.id, poll_option_id: '2' });
  assert.equal(moved.id, vote.id);
  const fetched = await bob.client.messages.retrieve(m.id);
  assert.deepEqual(fetched.poll_votes, [{ count: 1, option_id: '1' }, { count: 1, option_id: '2' }]);
  const bad = await alice.client.reactions.create({ resource_id: m.id, poll_option_id: '9' }).catch((e) => e);
  assert.ok(bad instanceof BadRequestError, String(bad));
  assert.equal(bad.error.error.param, 'poll_option_id');
});

test('reactions.delete by reaction id, or by message id with an emoji', async () => {
  const m = await message(alice, 'Take it back');
  const mine = await alice.client.reactions.create({ resource_id: m.id, emoji: '🎉' });
  const bobs = await bob.client.reactions.create({ resource_id: m.id, emoji: '🎉' });
  await assert.rejects(bob.client.reactions.delete(mine.id), PermissionDeniedError);
  assert.equal(await alice.client.reactions.delete(mine.id), true);
  await assert.rejects(alice.client.reactions.retrieve(mine.id), NotFoundError);
  assert.equal(await team.client.reactions.delete(bobs.id), true);

  await alice.client.reactions.create({ resource_id: m.id, emoji: '❤️' });
  assert.equal(await alice.client.reactions.delete(m.id, { emoji: ':heart:' }), true);
  await assert.rejects(alice.client.reactions.delete(m.id, { emoji: ':heart:' }), NotFoundError);
  assert.deepEqual((await alice.client.messages.retrieve(m.id)).reaction_counts, []);
});

test('errors: plain text is not an emoji, who_can_react, banned words, other tenants', async () => {
  const w2 = await World.create('reactions-rules');
  const mod = await w2.teamMember('Mod2');
  const user = await w2.customer('Member', w2.productA.id);
  const m = await user.client.messages.create({ channel_id: w2.experienceA.id, content: 'Rules' });
  const text = await user.client.reactions.create({ resource_id: m.id, emoji: 'hello' }).catch((e) => e);
  assert.ok(text instanceof BadRequestError, String(text));
  assert.equal(text.error.error.param, 'emoji');

  await mod.client.chatChannels.update(w2.experienceA.id, { who_can_react: 'admins', banned_words: ['scam'] });
  await assert.rejects(user.client.reactions.create({ resource_id: m.id, emoji: '🔥' }), PermissionDeniedError);
  const banned = await mod.client.reactions.create({ resource_id: m.id, emoji: ':free_scam:' }).catch((e) => e);
  assert.ok(banned instanceof BadRequestError, String(banned));
  assert.equal(banned.error.error.code, 'banned_word');
  await mod.client.chatChannels.update(w2.experienceA.id, { who_can_react: 'no_one' });
  await assert.rejects(mod.client.reactions.create({ resource_id: m.id, emoji: '🔥' }), PermissionDeniedError);

  const stranger = sdk(await w.companyKey(['chat:read', 'chat:message:create', 'chat:moderate']));
  await assert.rejects(stranger.reactions.create({ resource_id: m.id, emoji: '🔥' }), NotFoundError);
  await assert.rejects(collect(stranger.reactions.list({ resource_id: m.id })), NotFoundError);
});
