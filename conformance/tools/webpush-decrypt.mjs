// Plays the browser for one Web Push request captured by a Java test: decrypts its body with the
// http_ece package (RFC 8188/8291, aes128gcm) and checks its VAPID Authorization header (RFC 8292)
// with node's own crypto, so Herald's encryption and signing are checked by code that is not Herald's.
//
// usage: node tools/webpush-decrypt.mjs request.json
// request.json: {
//   "body_b64":      the request body, base64url,
//   "ua_private_key", "ua_public_key", "auth_secret": the subscription's secrets, base64url,
//   "authorization": the Authorization header (optional; checked when present, against:)
//   "audience":      the push service origin the JWT must name,
//   "subject":       the contact the JWT must carry,
//   "vapid_public_key": the key the header's k must be
// }
// Prints the plaintext on the last line and exits 0, or explains on stderr and exits 1.
import { readFileSync } from 'node:fs';
import { createECDH, createPublicKey, verify } from 'node:crypto';
import ece from 'http_ece';

const RECORD_SIZE = 4096;
const MAX_JWT_LIFETIME_SECONDS = 24 * 60 * 60;

function fail(message) {
  console.error(`webpush-decrypt: ${message}`);
  process.exit(1);
}

const b64u = (text) => Buffer.from(text, 'base64url');

function checkHeader(body) {
  if (body.length < 21) fail(`body of ${body.length} bytes has no aes128gcm header`);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  if (rs !== RECORD_SIZE) fail(`record size is ${rs}, expected ${RECORD_SIZE}`);
  if (idlen !== 65 || body[21] !== 0x04) fail('keyid is not the sender\'s 65-byte uncompressed P-256 key');
  if (body.length - 21 - idlen > rs) fail('the body holds more than one record');
}

function decrypt(input) {
  const body = b64u(input.body_b64);
  checkHeader(body);
  const ua = createECDH('prime256v1');
  ua.setPrivateKey(b64u(input.ua_private_key));
  if (!ua.getPublicKey().equals(b64u(input.ua_public_key))) fail('ua_private_key does not belong to ua_public_key');
  try {
    return ece.decrypt(body, { version: 'aes128gcm', privateKey: ua, authSecret: input.auth_secret });
  } catch (e) {
    fail(`cannot decrypt: ${e.message}`);
  }
}

function checkVapid({ authorization, audience, subject, vapid_public_key: expectedKey }) {
  const match = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(authorization);
  if (!match) fail('Authorization is not "vapid t=<jwt>, k=<public key>"');
  const [, header, claims, signature, k] = match;
  if (k !== expectedKey) fail('k is not the expected VAPID public key');
  const point = b64u(k);
  if (point.length !== 65 || point[0] !== 0x04) fail('k is not an uncompressed P-256 point');
  const key = createPublicKey({
    format: 'jwk',
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
  });
  const alg = JSON.parse(b64u(header)).alg;
  if (alg !== 'ES256') fail(`JWT alg is ${alg}, expected ES256`);
  const signed = verify('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, b64u(signature));
  if (!signed) fail('JWT signature does not verify with k');
  const { aud, exp, sub } = JSON.parse(b64u(claims));
  if (aud !== audience) fail(`JWT aud is ${aud}, expected ${audience}`);
  const now = Math.floor(Date.now() / 1000);
  if (!Number.isInteger(exp) || exp <= now || exp > now + MAX_JWT_LIFETIME_SECONDS) fail(`JWT exp ${exp} is not within the next 24 hours`);
  if (sub !== subject || !/^(mailto:|https:)/.test(sub)) fail(`JWT sub is ${sub}, expected ${subject}`);
}

const file = process.argv[2];
if (!file) fail('usage: node tools/webpush-decrypt.mjs request.json');
const input = JSON.parse(readFileSync(file, 'utf8'));
const plaintext = decrypt(input);
if (input.authorization !== undefined) checkVapid(input);
process.stdout.write(`${plaintext.toString('utf8')}\n`);
