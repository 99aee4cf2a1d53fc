-- Every grant and revocation of access records the notification position (the last sequence value
-- handed out) at that moment, so "users with access when it was sent" is a range check on the
-- notification's position, which indexes answer without scanning.
create sequence notification_position;

create function notification_watermark() returns bigint language sql volatile as $$
    select case when is_called then last_value else 0 end from notification_position
$$;

create table users (
    id                  text primary key,
    username            text not null,
    name                text,
    profile_picture_url text,
    bio                 text,
    feed_read_all_seq   bigint not null default 0,
    feed_read_all_at    timestamptz,
    created_at          timestamptz not null default now()
);
create unique index users_username_key on users (lower(username));

create table companies (
    id         text primary key,
    title      text not null,
    route      text not null unique,
    logo_url   text,
    created_at timestamptz not null default now()
);

create table apps (
    id             text primary key,
    company_id     text not null references companies (id),
    name           text not null,
    base_url       text,
    experience_path text,
    dashboard_path text,
    icon_url       text,
    created_at     timestamptz not null default now()
);

create table app_installations (
    app_id     text not null references apps (id),
    company_id text not null references companies (id),
    created_at timestamptz not null default now(),
    primary key (app_id, company_id)
);
create index app_installations_company on app_installations (company_id);

create table experiences (
    id          text primary key,
    app_id      text not null references apps (id),
    company_id  text not null references companies (id),
    name        text not null,
    image_url   text,
    created_seq bigint not null default notification_watermark(),
    created_at  timestamptz not null default now()
);
create index experiences_company on experiences (company_id);
create index experiences_app on experiences (app_id);

create table products (
    id         text primary key,
    company_id text not null references companies (id),
    title      text not null,
    route      text not null unique,
    created_at timestamptz not null default now()
);
create index products_company on products (company_id);

create table experience_products (
    experience_id text not null references experiences (id),
    product_id    text not null references products (id),
    attached_seq  bigint not null default notification_watermark(),
    created_at    timestamptz not null default now(),
    primary key (experience_id, product_id)
);
create index experience_products_product on experience_products (product_id);

create table memberships (
    id          text primary key,
    user_id     text not null references users (id),
    product_id  text not null references products (id),
    company_id  text not null references companies (id),
    status      text not null check (status in ('active', 'canceled')),
    granted_seq bigint not null default notification_watermark(),
    revoked_seq bigint,
    created_at  timestamptz not null default now(),
    canceled_at timestamptz
);
create index memberships_user on memberships (user_id);
create index memberships_product_active on memberships (product_id) where status = 'active';

create table authorized_users (
    id          text primary key,
    company_id  text not null references companies (id),
    user_id     text not null references users (id),
    role        text not null,
    granted_seq bigint not null default notification_watermark(),
    revoked_seq bigint,
    created_at  timestamptz not null default now(),
    removed_at  timestamptz
);
create unique index authorized_users_current on authorized_users (company_id, user_id) where removed_at is null;
create index authorized_users_user on authorized_users (user_id);

create table api_keys (
    id          text primary key,
    company_id  text references companies (id),
    app_id      text references apps (id),
    name        text,
    permissions text[] not null,
    secret_hash bytea not null unique,
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz,
    check ((company_id is null) <> (app_id is null))
);

create table user_tokens (
    id         text primary key,
    user_id    text not null references users (id),
    token_hash bytea not null unique,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

create table notification_topics (
    id                       text primary key,
    app_id                   text not null references apps (id),
    identifier               text not null,
    name                     text,
    description              text,
    default_preference_value boolean not null default true,
    created_at               timestamptz not null default now(),
    unique (app_id, identifier)
);
