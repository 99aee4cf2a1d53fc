// Who receives a notification sent with client.notifications.create (POST /api/v1/notifications).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { World, sdk, waitForSubject, withSubject, suffix } from './world.mjs';

let w;
let app; // SDK client with the app's API key
let companyClient; // SDK client with a company API key
let customerA; // active member of product A (attached to experience A)
let customerB; // active member of product B only (experience B)
let cancelled; // had product A, membership cancelled
let teamMember; // on the company's team, no membership
let teamMember2;
let outsider; // no relation to the company at all

before(async () => {
  w = await World.create('audience');
  app = sdk(await w.appKey());
  companyClient = sdk(await w.companyKey());
  customerA = await w.customer('Customer A', w.productA.id);
  customerB = await w.customer('Customer B', w.productB.id);
  cancelled = await w.customer('Cancelled', w.productA.id);
  await w.cancel(cancelled.memberships[0].id);
  teamMember = await w.teamMember('Team One');
  teamMember2 = await w.teamMember('Team Two');
  outsider = await w.user('Outsider');
});

describe('experience target', () => {
  test('reaches members of an attached product and the team, nobody else', async () => {
    const title = `exp broadcast ${suffix()}`;
    const response = await app.notifications.create({
      experience_id: w.experienceA.id,
      title,
      content: 'New workout posted',
    });
    assert.deepEqual(response, { success: true });

    const forCustomer = await waitForSubject(customerA, title);
    const forTeam = await waitForSubject(teamMember, title);
    assert.equal(forCustomer.experience?.id, w.experienceA.id);
    assert.equal(forCustomer.content, 'New workout posted');
    assert.equal(forCustomer.mentions_me, false);
    assert.equal(forTeam.id, forCustomer.id, 'one notification, same id in every feed');

    // Delivery of this notification is done: everyone else must not see it.
    assert.deepEqual(await withSubject(customerB, title), [], 'member of another product/experience');
    assert.deepEqual(await withSubject(cancelled, title), [], 'cancelled member');
    assert.deepEqual(await withSubject(outsider, title), [], 'outsider');
  });

  test('user_ids narrows the audience to listed users with access, who see mentions_me', async () => {
    const title = `exp narrowed ${suffix()}`;
    const response = await app.notifications.create({
      experience_id: w.experienceA.id,
      title,
      content: 'Just for you',
      user_ids: [customerA.id, customerB.id, cancelled.id, outsider.id, teamMember2.id],
    });
    assert.deepEqual(response, { success: true });

    const mine = await waitForSubject(customerA, title);
    assert.equal(mine.mentions_me, true);
    const team = await waitForSubject(teamMember2, title);
    assert.equal(team.mentions_me, true, 'a listed team member has access too');
    assert.equal(team.id, mine.id);
    assert.deepEqual(await withSubject(teamMember, title), [], 'team member not listed');
    assert.deepEqual(await withSubject(customerB, title), [], 'listed but no access to the experience');
    assert.deepEqual(await withSubject(cancelled, title), [], 'listed but membership cancelled');
    assert.deepEqual(await withSubject(outsider, title), [], 'listed outsider is skipped silently');

    // The mentions filter of the feed keeps exactly the notifications that named the reader.
    const mentions = await customerA.client.get('/notifications', { query: { mentions: true, first: 100 } });
    assert.ok(mentions.data.length >= 1);
    assert.ok(mentions.data.every((n) => n.mentions_me === true), JSON.stringify(mentions.data));
    assert.ok(mentions.data.some((n) => n.subject === title));
  });
});

describe('company target', () => {
  test('company_id reaches only the team', async () => {
    const title = `company broadcast ${suffix()}`;
    const response = await app.notifications.create({ company_id: w.companyId, title, content: 'Team heads-up' });
    assert.deepEqual(response, { success: true });

    const one = await waitForSubject(teamMember, title);
    await waitForSubject(teamMember2, title);
    assert.equal(one.account?.id, w.companyId);
    assert.equal(one.experience, null, 'a company notification has no experience');
    assert.equal(one.mentions_me, false);

    assert.deepEqual(await withSubject(customerA, title), [], 'customers are not the team');
    assert.deepEqual(await withSubject(customerB, title), [], 'customers are not the team');
    assert.deepEqual(await withSubject(outsider, title), [], 'outsider');
  });

  test('account_id is accepted as the company target', async () => {
    const title = `account broadcast ${suffix()}`;
    const response = await companyClient.notifications.create({ account_id: w.companyId, title, content: 'Via account_id' });
    assert.deepEqual(response, { success: true });

    const got = await waitForSubject(teamMember, title);
    assert.equal(got.account?.id, w.companyId);
    await waitForSubject(teamMember2, title);
    assert.deepEqual(await withSubject(customerA, title), []);
    assert.deepEqual(await withSubject(outsider, title), []);
  });

  test('user_ids narrows to listed team members; outsiders are skipped silently', async () => {
    const title = `company narrowed ${suffix()}`;
    const response = await app.notifications.create({
      company_id: w.companyId,
      title,
      content: 'Only you two... well, one',
      user_ids: [teamMember.id, outsider.id, customerA.id],
    });
    assert.deepEqual(response, { success: true });

    const got = await waitForSubject(teamMember, title);
    assert.equal(got.mentions_me, true);
    assert.deepEqual(await withSubject(teamMember2, title), [], 'team member not listed');
    assert.deepEqual(await withSubject(outsider, title), [], 'listed outsider');
    assert.deepEqual(await withSubject(customerA, title), [], 'listed customer is not on the team');
  });
});
