-- Webhook endpoints. Owned by one company (company key) or one app (app key), never both; the
-- resource narrows what the endpoint hears: a company, one of its products or experiences, or (app
-- endpoints) the app itself, meaning every company that installed it. resource_company_id is the
-- company the resource belongs to (for an app, the app's own company): the list filter.
create table webhooks (
    seq                   bigserial not null unique,
    id                    text primary key,
    company_id            text references companies (id),
    app_id                text references apps (id),
    resource_id           text not null,
    resource_company_id   text not null references companies (id),
    url                   text not null,
    events                text[] not null,
    enabled               boolean not null default true,
    api_version           text not null,
    child_resource_events boolean not null default false,
    -- Standard Webhooks secret (whsec_ + base64): kept in clear, as signing needs it.
    secret                text not null,
    disabled_reason       text,
    -- Since when every attempt has failed (null after a success); five days of it disable the endpoint.
    failing_since         timestamptz,
    created_at            timestamptz not null default now(),
    check ((company_id is null) <> (app_id is null))
);
create index webhooks_resource on webhooks (resource_id) where enabled;
create index webhooks_listing on webhooks (resource_company_id, seq);

-- One row per (event, endpoint): the unique index makes fan-out idempotent, and the payload is the
-- exact bytes sent, so every retry repeats them byte for byte under the same webhook-id (event_id).
create table webhook_deliveries (
    seq              bigserial not null unique,
    id               text primary key,
    webhook_id       text not null references webhooks (id) on delete cascade,
    event_id         text not null,
    event_type       text not null,
    payload          text not null,
    status           text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
    attempts         int not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_status_code int,
    last_error       text,
    created_at       timestamptz not null default now(),
    delivered_at     timestamptz,
    unique (webhook_id, event_id)
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_listing on webhook_deliveries (webhook_id, seq);

create table webhook_attempts (
    id               bigserial primary key,
    delivery_id      text not null references webhook_deliveries (id) on delete cascade,
    attempted_at     timestamptz not null,
    status_code      int,
    error            text,
    duration_ms      int not null,
    response_snippet text
);
create index webhook_attempts_delivery on webhook_attempts (delivery_id, id);

-- Wakes the senders (any node listening on herald_webhooks) when new deliveries commit.
create function webhooks_wake() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_webhooks', '');
    return null;
end
$$;
create trigger webhooks_wake after insert on webhook_deliveries for each statement execute function webhooks_wake();
