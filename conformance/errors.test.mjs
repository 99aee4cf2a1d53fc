// Errors surface as the SDK's typed error classes, with Herald's {error: {type, code, message, param}} body.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import Whop, {
  APIError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
} from '@whop/sdk';
import { World, sdk, waitForSubject, feed, suffix } from './world.mjs';

let w;
let app;
let teamMember;
let customer;
let otherExperience; // an experience of another app in the same company

before(async () => {
  w = await World.create('errors');
  app = sdk(await w.appKey());
  teamMember = await w.teamMember('Watcher');
  customer = await w.customer('Member', w.productA.id);
  const other = await w.otherApp();
  otherExperience = await w.experience('Foreign', other.id);
  await w.attach(otherExperience.id, w.productA.id);
});

/** Runs the call, asserts it rejects with the given SDK error class and status, returns the error. */
async function rejection(promise, ErrorClass, status) {
  const err = await promise.then(
    (value) => assert.fail(`expected ${ErrorClass.name} (${status}) but the call succeeded with ${JSON.stringify(value)}`),
    (e) => e,
  );
  assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err?.constructor?.name}: ${err?.message}`);
  assert.ok(err instanceof APIError);
  assert.equal(err.status, status);
  assert.ok(err.headers, 'the error carries the response headers');
  assert.equal(typeof err.error, 'object', 'err.error is the parsed JSON body');
  assert.equal(typeof err.error.error?.message, 'string', `body has error.message: ${JSON.stringify(err.error)}`);
  assert.ok(err.message.startsWith(`${status} `), `message starts with the status: ${err.message}`);
  return err;
}

test('the package exports the error classes on the default export too', () => {
  assert.equal(Whop.BadRequestError, BadRequestError);
  assert.equal(Whop.AuthenticationError, AuthenticationError);
  assert.equal(Whop.PermissionDeniedError, PermissionDeniedError);
  assert.equal(Whop.NotFoundError, NotFoundError);
});

test('missing title is a BadRequestError naming the parameter', async () => {
  const err = await rejection(
    app.notifications.create({ experience_id: w.experienceA.id, content: 'no title' }),
    Whop.BadRequestError, 400);
  assert.equal(err.error.error.code, 'parameter_missing');
  assert.equal(err.error.error.param, 'title');
  assert.equal(err.error.error.type, 'invalid_request_error');
});

test('missing content and a missing target are BadRequestErrors too', async () => {
  const noContent = await rejection(
    app.notifications.create({ experience_id: w.experienceA.id, title: 'no content' }), BadRequestError, 400);
  assert.equal(noContent.error.error.code, 'parameter_missing');
  assert.equal(noContent.error.error.param, 'content');

  const noTarget = await rejection(app.notifications.create({ title: 't', content: 'c' }), BadRequestError, 400);
  assert.equal(noTarget.error.error.code, 'parameter_missing');
  assert.equal(noTarget.error.error.param, 'experience_id');
});

test('a bad API key is an AuthenticationError', async () => {
  const err = await rejection(
    sdk('not-a-real-key').notifications.create({ experience_id: w.experienceA.id, title: 't', content: 'c' }),
    Whop.AuthenticationError, 401);
  assert.equal(err.error.error.code, 'unauthorized');
});

test('a key without notification:create is a PermissionDeniedError', async () => {
  const readOnly = sdk(await w.appKey(['chat:read']));
  await rejection(
    readOnly.notifications.create({ experience_id: w.experienceA.id, title: 't', content: 'c' }),
    Whop.PermissionDeniedError, 403);
  const companyReadOnly = sdk(await w.companyKey(['chat:read']));
  await rejection(
    companyReadOnly.notifications.create({ company_id: w.companyId, title: 't', content: 'c' }),
    PermissionDeniedError, 403);
});

test('an app key cannot notify an experience of another app', async () => {
  const err = await rejection(
    app.notifications.create({ experience_id: otherExperience.id, title: 'not mine', content: 'c' }),
    Whop.PermissionDeniedError, 403);
  assert.equal(err.error.error.code, 'forbidden');
});

test('an unknown experience id is a NotFoundError', async () => {
  const err = await rejection(
    app.notifications.create({ experience_id: 'exp_doesnotexist000', title: 't', content: 'c' }),
    Whop.NotFoundError, 404);
  assert.equal(err.error.error.param, 'experience_id');
});

test('a customer\'s user token may not notify the experience they belong to', async () => {
  await rejection(
    customer.client.notifications.create({ experience_id: w.experienceA.id, title: 't', content: 'c' }),
    PermissionDeniedError, 403);
});

test('rejected requests deliver nothing', async () => {
  const title = `after errors ${suffix()}`;
  await app.notifications.create({ experience_id: w.experienceA.id, title, content: 'the only one' });
  await waitForSubject(customer, title);
  await waitForSubject(teamMember, title);
  assert.deepEqual((await feed(customer)).map((n) => n.subject), [title]);
  assert.deepEqual((await feed(teamMember)).map((n) => n.subject), [title]);
});
