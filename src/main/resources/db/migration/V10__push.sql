-- Push delivery: users' devices, provider credentials, preferences, and per-notification jobs.

-- A device as its platform's push service knows it. token is the APNs device token, the FCM
-- registration token or the Web Push endpoint URL; one device row per (platform, token), so a token
-- registered again (a phone changing hands) moves to the new user. app_id names whose provider
-- credentials reach the device (null: the instance's own).
create table push_devices (
    id          text primary key,
    user_id     text        not null references users (id),
    app_id      text references apps (id),
    platform    text        not null check (platform in ('ios', 'android', 'web')),
    token       text        not null,
    bundle_id   text,
    environment text check (environment in ('sandbox', 'production')),
    p256dh      text,
    auth        text,
    name        text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    unique (platform, token),
    check ((platform = 'ios') = (bundle_id is not null and environment is not null)),
    check ((platform = 'web') = (p256dh is not null and auth is not null))
);
create index push_devices_user on push_devices (user_id);

-- Provider credentials per app, or for the whole instance (app_id null). config holds the secrets
-- (APNs .p8 key, FCM service account, VAPID private key) and is never sent back by the API.
create table push_credentials (
    app_id     text references apps (id),
    provider   text        not null check (provider in ('apns', 'fcm', 'vapid')),
    config     jsonb       not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique nulls not distinct (app_id, provider)
);

-- A user's choice per topic and channel; absent, the topic's default_preference_value applies.
create table notification_preferences (
    user_id    text        not null references users (id),
    topic_id   text        not null references notification_topics (id),
    channel    text        not null check (channel in ('in_app', 'push')),
    enabled    boolean     not null,
    updated_at timestamptz not null default now(),
    primary key (user_id, topic_id, channel)
);

-- One job per pushed notification. Devices are visited in id order; after_device is how far the
-- job got, so a node that dies mid-way is resumed by another (lease_until) without pushing twice
-- what was already counted. Counts per platform live in push_counts.
create table push_jobs (
    seq          bigint primary key references notifications (seq),
    status       text        not null default 'queued' check (status in ('queued', 'sending', 'done')),
    after_device text        not null default '',
    devices      int,
    lease_until  timestamptz,
    created_at   timestamptz not null default now(),
    started_at   timestamptz,
    finished_at  timestamptz
);
create index push_jobs_open on push_jobs (created_at) where status <> 'done';

create table push_counts (
    seq      bigint not null references push_jobs (seq),
    platform text   not null,
    sent     int    not null default 0,
    failed   int    not null default 0,
    removed  int    not null default 0,
    skipped  int    not null default 0,
    primary key (seq, platform)
);

-- Pushes that did not go through the first time: waiting for a retry, or failed for good (kept
-- with the provider's reason so the status API can tell why).
create table push_attempts (
    seq        bigint      not null references push_jobs (seq),
    device_id  text        not null,
    platform   text        not null,
    state      text        not null check (state in ('retrying', 'failed')),
    attempts   int         not null,
    next_at    timestamptz,
    last_error text,
    updated_at timestamptz not null default now(),
    primary key (seq, device_id)
);
create index push_attempts_due on push_attempts (next_at) where state = 'retrying';
