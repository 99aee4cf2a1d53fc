// Cursor pagination of the feed the way the SDK pages: follow page_info.end_cursor as `after` until it is null.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadRequestError } from '@whop/sdk';
import { CursorPage } from '@whop/sdk/pagination';
import { World, sdk, eventually, feed, suffix } from './world.mjs';

const COUNT = 25;
let w;
let app;
let reader;
let subjects; // oldest first, as sent

before(async () => {
  w = await World.create('pagination');
  app = sdk(await w.appKey());
  reader = await w.customer('Pager', w.productA.id);
  const run = suffix();
  subjects = [];
  for (let i = 1; i <= COUNT; i++) {
    const title = `page ${run} #${String(i).padStart(2, '0')}`;
    // Sequential on purpose: each is accepted before the next, so the feed order is known.
    assert.deepEqual(await app.notifications.create({ experience_id: w.experienceA.id, title, content: `n${i}` }), { success: true });
    subjects.push(title);
  }
  await eventually(() => feed(reader), (data) => data.length === COUNT, { what: `${COUNT} notifications delivered` });
});

test('walking end_cursor with first=10 sees every notification once, newest first', async () => {
  const seen = [];
  const pages = [];
  let after;
  for (let guard = 0; guard < 10; guard++) {
    const page = await reader.client.get('/notifications', { query: { first: 10, ...(after ? { after } : {}) } });
    assert.ok(Array.isArray(page.data), JSON.stringify(page));
    assert.ok(page.page_info && typeof page.page_info === 'object', 'page_info present');
    pages.push(page);
    seen.push(...page.data);
    after = page.page_info.end_cursor;
    if (after == null) {
      break;
    }
    assert.equal(typeof after, 'string');
  }
  assert.deepEqual(pages.map((p) => p.data.length), [10, 10, 5]);
  assert.deepEqual(pages.map((p) => p.page_info.has_next_page), [true, true, false]);
  assert.equal(pages[0].page_info.has_previous_page, false);
  assert.equal(pages[1].page_info.has_previous_page, true);
  assert.equal(pages[2].page_info.end_cursor, null, 'the last page ends the walk');

  const ids = seen.map((n) => n.id);
  assert.equal(new Set(ids).size, COUNT, 'no notification seen twice');
  assert.deepEqual(seen.map((n) => n.subject), [...subjects].reverse(), 'newest first, nothing missing');
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i - 1].created_at >= seen[i].created_at, `created_at descends at ${i}`);
  }
});

test('the SDK\'s own CursorPage auto-pagination walks the same feed', async () => {
  const seen = [];
  let pageCount = 0;
  let page = await reader.client.getAPIList('/notifications', CursorPage, { query: { first: 10 } });
  for (;;) {
    pageCount++;
    seen.push(...page.getPaginatedItems().map((n) => n.subject));
    if (!page.hasNextPage()) {
      break;
    }
    page = await page.getNextPage();
  }
  assert.equal(pageCount, 3);
  assert.deepEqual(seen, [...subjects].reverse());

  const iterated = [];
  for await (const n of reader.client.getAPIList('/notifications', CursorPage, { query: { first: 7 } })) {
    iterated.push(n.subject);
  }
  assert.deepEqual(iterated, [...subjects].reverse());

  // A page size that divides the feed exactly: the last full page already ends the walk.
  let pages = 0;
  page = await reader.client.getAPIList('/notifications', CursorPage, { query: { first: 5 } });
  for (;;) {
    pages++;
    assert.equal(page.getPaginatedItems().length, 5, `page ${pages} is full`);
    if (!page.hasNextPage()) {
      break;
    }
    page = await page.getNextPage();
  }
  assert.equal(pages, COUNT / 5, 'no trailing empty page');
});

test('a notification arriving mid-walk does not shift the pages behind the cursor', async () => {
  const first = await reader.client.get('/notifications', { query: { first: 10 } });
  const fresh = `mid-walk ${suffix()}`;
  await app.notifications.create({ experience_id: w.experienceA.id, title: fresh, content: 'late' });
  await eventually(() => feed(reader, { first: 1 }), (data) => data[0]?.subject === fresh, { what: 'the new notification' });

  const seen = [...first.data];
  let after = first.page_info.end_cursor;
  while (after) {
    const page = await reader.client.get('/notifications', { query: { first: 10, after } });
    seen.push(...page.data);
    after = page.page_info.end_cursor;
  }
  assert.deepEqual(seen.map((n) => n.subject), [...subjects].reverse());
});

test('a malformed cursor is a BadRequestError naming after', async () => {
  const err = await reader.client.get('/notifications', { query: { after: 'not-a-cursor!' } })
    .then((v) => assert.fail(`expected 400, got ${JSON.stringify(v)}`), (e) => e);
  assert.ok(err instanceof BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
  assert.equal(err.error?.error?.param, 'after');
});
