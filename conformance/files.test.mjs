// Files through the SDK: files.upload (create -> PUT to upload_url -> retrieve until ready) end to end,
// files.create/retrieve shapes, and the allow-list surfacing as a BadRequestError.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BadRequestError, NotFoundError, toFile } from '@whop/sdk';
import { World } from './world.mjs';

let w;
let alice;
let bob;

before(async () => {
  w = await World.create('files');
  alice = await w.user('Alice');
  bob = await w.user('Bob');
});

async function content(url, token) {
  return fetch(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
}

test('files.upload of a File returns the ready file, and its bytes come back from url', async () => {
  const bytes = randomBytes(4096);
  // Herald marks the file ready within the PUT, so the helper's first retrieve already sees it (no polling wait).
  const file = await alice.client.files.upload(new File([bytes], 'a.png', { type: 'image/png' }));
  assert.equal(file.upload_status, 'ready');
  assert.match(file.id, /^file_[0-9A-Za-z]{14}$/);
  assert.equal(file.filename, 'a.png');
  assert.equal(file.content_type, 'image/png');
  assert.equal(file.size, '4096');
  assert.equal(file.visibility, 'private');
  assert.ok(file.url.endsWith(`/api/v1/files/${file.id}/content`), file.url);

  assert.deepEqual(await alice.client.files.retrieve(file.id), file);

  const response = await content(file.url, alice.token);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const body = Buffer.from(await response.arrayBuffer());
  assert.equal(createHash('sha256').update(body).digest('hex'), createHash('sha256').update(bytes).digest('hex'));
  assert.equal((await content(file.url)).status, 404, 'private content needs the owner\'s credential');
});

test('files.upload accepts toFile and a filename override', async () => {
  const file = await alice.client.files.upload(await toFile(Buffer.from('hello, herald\n'), 'ignored.bin'), { filename: 'notes.txt' });
  assert.equal(file.upload_status, 'ready');
  assert.equal(file.filename, 'notes.txt');
  assert.equal(file.content_type, 'text/plain');
  assert.equal(file.size, '14');
});

test('files.create answers the FileCreateResponse shape, and public content needs no credential', async () => {
  const created = await alice.client.files.create({ filename: 'clip.mp4', visibility: 'public' });
  assert.deepEqual(Object.keys(created).sort(), ['content_type', 'filename', 'id', 'size', 'upload_headers', 'upload_status',
    'upload_url', 'url', 'visibility']);
  assert.equal(created.upload_status, 'pending');
  assert.equal(created.size, null);
  assert.equal(created.url, null);
  assert.deepEqual(created.upload_headers, { 'Content-Type': 'video/mp4' });

  const put = await fetch(created.upload_url, { method: 'PUT', headers: created.upload_headers, body: Buffer.from('not really a video') });
  assert.equal(put.status, 200);
  const file = await alice.client.files.retrieve(created.id);
  assert.equal(file.upload_status, 'ready');
  assert.equal(file.visibility, 'public');
  assert.equal((await content(file.url)).status, 200);
});

test('a disallowed type is a BadRequestError on filename; another user\'s file is a NotFoundError', async () => {
  const err = await alice.client.files.create({ filename: 'page.html' }).then(
    () => assert.fail('an .html file was accepted'), (e) => e);
  assert.ok(err instanceof BadRequestError, `${err?.constructor?.name}: ${err?.message}`);
  assert.equal(err.error.error.param, 'filename');

  const file = await alice.client.files.upload(new File([randomBytes(16)], 'b.webp', { type: 'image/webp' }));
  const foreign = await bob.client.files.retrieve(file.id).then(() => assert.fail('bob read alice\'s file'), (e) => e);
  assert.ok(foreign instanceof NotFoundError, `${foreign?.constructor?.name}: ${foreign?.message}`);
});
