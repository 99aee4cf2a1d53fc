// Shared helpers for the conformance suite: a fresh tenant per test file, built through Herald's
// admin HTTP API with plain fetch, and @whop/sdk clients pointed at this Herald.
//
// Environment:
//   HERALD_URL          e.g. http://127.0.0.1:8080 (no trailing /api/v1)
//   HERALD_ADMIN_TOKEN  the operator's admin token
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Whop from '@whop/sdk';

export const HERALD_URL = requiredEnv('HERALD_URL').replace(/\/+$/, '');
export const ADMIN_TOKEN = requiredEnv('HERALD_ADMIN_TOKEN');

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Set ${name} (see conformance/world.mjs) before running the conformance suite.`);
  }
  return value;
}

/** A short random suffix so names (usernames, topic identifiers) never collide between runs. */
export function suffix() {
  return randomBytes(5).toString('hex');
}

/** An SDK client for the current API (/api/v1). */
export function sdk(apiKey) {
  return new Whop({ apiKey, baseURL: `${HERALD_URL}/api/v1`, maxRetries: 0, timeout: 15_000 });
}

/** An SDK client for the legacy topic-based API (/api/v2). */
export function legacySdk(apiKey) {
  return new Whop({ apiKey, baseURL: `${HERALD_URL}/api/v2`, maxRetries: 0, timeout: 15_000 });
}

/** Calls the admin API; throws with the request and response on any non-2xx answer. */
export async function admin(method, path, body) {
  const response = await fetch(`${HERALD_URL}/api/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`admin ${method} ${path} ${JSON.stringify(body ?? null)} -> ${response.status} ${text}`);
  }
  return text ? JSON.parse(text) : null;
}

/**
 * Polls fetchValue until check(value) is truthy, for up to timeoutMs (delivery goes through an
 * outbox, so it is asynchronous). Returns the last value; throws with it when time runs out.
 */
export async function eventually(fetchValue, check, { timeoutMs = 5000, intervalMs = 40, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fetchValue();
    if (check(last)) {
      return last;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what} not met within ${timeoutMs} ms; last value: ${JSON.stringify(last, null, 1)}`);
    }
    await sleep(intervalMs);
  }
}

/** One page of a user's feed (GET /notifications), as the SDK returns it: {data, page_info}. */
export async function feedPage(user, query = {}) {
  return user.client.get('/notifications', { query: { first: 100, ...query } });
}

/** The notifications of a user's feed (first page of up to 100). */
export async function feed(user, query = {}) {
  return (await feedPage(user, query)).data;
}

/** Waits until the user's feed holds a notification with this subject and returns it. */
export async function waitForSubject(user, subject, query = {}) {
  const items = await eventually(
    () => feed(user, query),
    (data) => data.some((n) => n.subject === subject),
    { what: `notification "${subject}" in the feed of ${user.username}` },
  );
  return items.find((n) => n.subject === subject);
}

/** The feed entries with this subject (for negative checks once delivery is known to be done). */
export async function withSubject(user, subject, query = {}) {
  return (await feed(user, query)).filter((n) => n.subject === subject);
}

/**
 * A fresh tenant: a company with a logo; an app (icon, base URL, experience and dashboard path
 * templates with [restPath]) that the company has installed; two experiences of that app, each
 * attached to its own product; and helpers for users, memberships, team members and keys.
 */
export class World {
  static async create(label = 'conformance') {
    const w = new World();
    w.label = label;
    w.tag = suffix();
    w.company = await admin('POST', '/companies', {
      title: `${label} co ${w.tag}`,
      logo_url: `https://cdn.example.test/logos/${w.tag}.png`,
    });
    w.companyId = w.company.id;
    w.baseUrl = `https://app-${w.tag}.example.test`;
    w.app = await admin('POST', '/apps', {
      name: `${label} app ${w.tag}`,
      company_id: w.companyId,
      base_url: w.baseUrl,
      experience_path: '/experiences/[experienceId]/[restPath]',
      dashboard_path: '/dashboard/[companyId]/[restPath]',
      icon_url: `https://cdn.example.test/icons/${w.tag}.png`,
    });
    w.appId = w.app.id;
    w.experienceA = await w.experience('Experience A');
    w.experienceB = await w.experience('Experience B');
    w.productA = await w.product('Product A');
    w.productB = await w.product('Product B');
    await w.attach(w.experienceA.id, w.productA.id);
    await w.attach(w.experienceB.id, w.productB.id);
    return w;
  }

  async experience(name, appId = this.appId) {
    return admin('POST', '/experiences', { app_id: appId, company_id: this.companyId, name: `${name} ${this.tag}` });
  }

  async product(title) {
    return admin('POST', '/products', { company_id: this.companyId, title: `${title} ${this.tag}` });
  }

  async attach(experienceId, productId) {
    return admin('POST', `/experiences/${experienceId}/attach`, { product_id: productId });
  }

  /** A second app of the same company (installed there, as every app is in its own company). */
  async otherApp(name = 'Other app') {
    return admin('POST', '/apps', {
      name: `${name} ${this.tag}`,
      company_id: this.companyId,
      base_url: `https://other-${this.tag}.example.test`,
      experience_path: '/experiences/[experienceId]/[restPath]',
      dashboard_path: '/dashboard/[companyId]/[restPath]',
    });
  }

  /** A new user with a user token; returns {id, username, name, token, client}. */
  async user(name, extra = {}) {
    const username = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${suffix()}`;
    const created = await admin('POST', '/users', { username, name, ...extra });
    const { token } = await admin('POST', `/users/${created.id}/tokens`, {});
    return { ...created, id: created.id, username, name, token, client: sdk(token) };
  }

  /** Grants a membership; returns the membership object. */
  async member(userId, productId) {
    return admin('POST', '/memberships', { user_id: userId, product_id: productId });
  }

  async cancel(membershipId) {
    return admin('POST', `/memberships/${membershipId}/cancel`);
  }

  /** A user with an active membership in each of the given products. */
  async customer(name, ...productIds) {
    const u = await this.user(name);
    u.memberships = [];
    for (const productId of productIds) {
      u.memberships.push(await this.member(u.id, productId));
    }
    return u;
  }

  /** A user on the company's team (an authorized user). */
  async teamMember(name, role = 'admin') {
    const u = await this.user(name);
    await admin('POST', '/authorized_users', { company_id: this.companyId, user_id: u.id, role });
    return u;
  }

  /** An API key of this world's app (or another app), with these permissions. */
  async appKey(permissions = ['notification:create'], appId = this.appId) {
    return (await admin('POST', '/api_keys', { app_id: appId, permissions })).key;
  }

  async companyKey(permissions = ['notification:create'], companyId = this.companyId) {
    return (await admin('POST', '/api_keys', { company_id: companyId, permissions })).key;
  }

  /** Registers a notification topic of the app (needed by the legacy API). */
  async topic(identifier, name, appId = this.appId) {
    return admin('POST', `/apps/${appId}/notification_topics`, { identifier, name });
  }
}
