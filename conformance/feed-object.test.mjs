// The notification object users see in their feed (GET /notifications), field by field.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { World, sdk, waitForSubject, suffix } from './world.mjs';

const FIELDS = [
  'id', 'subject', 'content', 'created_at', 'experience', 'account', 'sender', 'topic',
  'rest_path', 'link', 'iframe_link', 'attachment_url', 'mentions_me',
];

let w;
let app;
let customer;
let teamMember;
let pictured; // a user with a profile picture, used as icon_user_id

before(async () => {
  w = await World.create('feed-object');
  app = sdk(await w.appKey());
  customer = await w.customer('Reader', w.productA.id);
  teamMember = await w.teamMember('Coach');
  pictured = await w.user('Pictured', { profile_picture_url: `https://cdn.example.test/avatars/${w.tag}.png` });
});

async function sendToExperience(extra) {
  const title = `feed object ${suffix()}`;
  assert.deepEqual(
    await app.notifications.create({ experience_id: w.experienceA.id, title, content: 'Body text', ...extra }),
    { success: true },
  );
  return waitForSubject(customer, title);
}

test('an experience notification carries every field the SDK documents', async () => {
  const before = Date.now();
  const n = await sendToExperience({ subtitle: 'Leg day', rest_path: '/workouts/1' });

  for (const field of FIELDS) {
    assert.ok(Object.hasOwn(n, field), `field ${field} is present (value may be null): ${JSON.stringify(n)}`);
  }
  assert.equal(typeof n.id, 'string');
  assert.ok(n.id.length > 0);
  assert.match(n.subject, /^feed object /);
  assert.equal(n.content, 'Body text');
  assert.equal(n.subtitle, 'Leg day');

  assert.equal(typeof n.created_at, 'string');
  const created = Date.parse(n.created_at);
  assert.ok(Number.isFinite(created), `created_at ${n.created_at} is a timestamp`);
  assert.ok(Math.abs(created - before) < 5 * 60_000, `created_at ${n.created_at} is about now`);

  assert.equal(n.experience.id, w.experienceA.id);
  assert.equal(n.experience.name, w.experienceA.name);
  assert.equal(n.experience.app.id, w.appId);
  assert.equal(n.experience.app.icon_url, `https://cdn.example.test/icons/${w.tag}.png`);

  assert.equal(n.account.id, w.companyId);
  assert.equal(n.account.title, w.company.title);
  assert.equal(n.account.logo_url, `https://cdn.example.test/logos/${w.tag}.png`);
  assert.equal(n.account.route, w.company.route);

  assert.equal(n.sender, null, 'sent with an app key: no sender');
  assert.equal(n.topic, null, 'current API notifications have no topic');
  assert.equal(n.rest_path, '/workouts/1');
  assert.equal(n.iframe_link, `${w.baseUrl}/experiences/${w.experienceA.id}/workouts/1`);
  assert.match(n.link, /^https?:\/\//, 'link is an absolute URL');
  assert.ok(n.link.endsWith(`/experiences/${w.experienceA.id}/workouts/1`), `link ${n.link} opens the experience at the rest path`);
  assert.equal(n.attachment_url, `https://cdn.example.test/logos/${w.tag}.png`,
    'without icon_user_id or an experience image the company avatar is used');
  assert.equal(n.mentions_me, false);

  // The same object by id.
  const one = await customer.client.get(`/notifications/${n.id}`);
  assert.deepEqual(one, n);
});

test('a query-string rest_path is appended to the experience path without a slash', async () => {
  const n = await sendToExperience({ rest_path: '?action=review&id=123' });
  assert.equal(n.rest_path, '?action=review&id=123');
  assert.equal(n.iframe_link, `${w.baseUrl}/experiences/${w.experienceA.id}?action=review&id=123`);
  assert.ok(n.link.endsWith(`/experiences/${w.experienceA.id}?action=review&id=123`), n.link);
});

test('a rest_path without a leading slash becomes a path segment', async () => {
  const n = await sendToExperience({ rest_path: 'workouts/2' });
  assert.equal(n.iframe_link, `${w.baseUrl}/experiences/${w.experienceA.id}/workouts/2`);
});

test('without rest_path the link opens the experience itself', async () => {
  const n = await sendToExperience({});
  assert.equal(n.rest_path, null);
  assert.equal(n.iframe_link, `${w.baseUrl}/experiences/${w.experienceA.id}`);
  assert.ok(n.link.endsWith(`/experiences/${w.experienceA.id}`), n.link);
});

test('icon_user_id makes that user\'s profile picture the attachment', async () => {
  const n = await sendToExperience({ icon_user_id: pictured.id });
  assert.equal(n.attachment_url, `https://cdn.example.test/avatars/${w.tag}.png`);
});

test('a company notification from the app opens the app\'s dashboard path', async () => {
  const title = `dashboard ${suffix()}`;
  assert.deepEqual(
    await app.notifications.create({ company_id: w.companyId, title, content: 'Payout ready', rest_path: '/settings/billing' }),
    { success: true },
  );
  const n = await waitForSubject(teamMember, title);
  assert.equal(n.experience, null);
  assert.equal(n.account.id, w.companyId);
  assert.equal(n.rest_path, '/settings/billing');
  assert.equal(n.iframe_link, `${w.baseUrl}/dashboard/${w.companyId}/settings/billing`);
  assert.match(n.link, /^https?:\/\//);
  assert.ok(n.link.endsWith('/settings/billing'), n.link);
});

test('a team member sending with a user token is the notification\'s sender', async () => {
  const title = `from coach ${suffix()}`;
  assert.deepEqual(
    await teamMember.client.notifications.create({ experience_id: w.experienceA.id, title, content: 'Staff note' }),
    { success: true },
  );
  const n = await waitForSubject(customer, title);
  assert.equal(n.sender?.id, teamMember.id);
  assert.equal(n.sender?.username, teamMember.username);
  assert.equal(n.sender?.name, 'Coach');
  assert.equal(n.experience.id, w.experienceA.id);
});
