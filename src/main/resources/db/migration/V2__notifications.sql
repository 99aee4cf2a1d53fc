-- A notification is stored once. Who sees it is a handful of audience rows naming sources
-- (an experience, a company's team, a product's owners, a company's customers, or one user),
-- never one row per member: feeds resolve sources on read (see notify/FeedStore).
create table notifications (
    seq            bigint primary key default nextval('notification_position'),
    id             text not null unique,
    api            text not null check (api in ('v1', 'legacy')),
    app_id         text references apps (id),
    company_id     text not null references companies (id),
    experience_id  text references experiences (id),
    topic_id       text references notification_topics (id),
    title          text not null,
    subtitle       text,
    content        text not null,
    mobile_title   text,
    mobile_content text,
    icon_user_id   text references users (id),
    sender_user_id text references users (id),
    rest_path      text,
    targets        jsonb not null,
    created_at     timestamptz not null default now(),
    delivered_at   timestamptz
);
alter sequence notification_position owned by notifications.seq;

-- customers_only marks legacy audiences that exclude the team (products' owners, a company's or an
-- experience's customers). The key's extra columns let feed reads run as index-only scans.
create table notification_audiences (
    source_key     text    not null,
    seq            bigint  not null references notifications (seq),
    customers_only boolean not null default false,
    mention        boolean not null default false,
    experience_id  text,
    company_id     text    not null,
    primary key (source_key, seq) include (customers_only, mention, experience_id, company_id)
);
-- Mentions are rare among broadcasts: the mentions filter reads only these.
create index notification_audiences_mentions on notification_audiences (source_key, seq) where mention;

-- Per user and per experience (or company): everything at or below last_seen_seq has been seen.
create table feed_views (
    user_id        text   not null references users (id),
    scope_id       text   not null,
    last_seen_seq  bigint not null,
    last_viewed_at timestamptz not null,
    primary key (user_id, scope_id)
);

create table idempotency_keys (
    owner        text not null,
    key          text not null,
    request_hash text not null,
    status       int  not null,
    response     text not null,
    created_at   timestamptz not null default now(),
    primary key (owner, key)
);

-- The transactional outbox: a state change and the work it causes commit together.
create table outbox (
    id           bigserial primary key,
    kind         text not null,
    payload      jsonb not null,
    created_at   timestamptz not null default now(),
    available_at timestamptz not null default now(),
    attempts     int not null default 0,
    last_error   text
);
create index outbox_available on outbox (available_at, id);
