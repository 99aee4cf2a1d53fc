-- Chat: experience channels (one per experience), support channels (one per customer and company)
-- and DM channels share one table and one message stream design.
alter table users add column is_bot boolean not null default false;
alter table apps add column bot_user_id text references users (id);
alter table companies add column bot_user_id text references users (id);

create table chat_channels (
    id                          text primary key,
    kind                        text not null check (kind in ('experience', 'support', 'dm')),
    experience_id               text unique references experiences (id),
    company_id                  text references companies (id),
    ban_media                   boolean not null default false,
    ban_urls                    boolean not null default false,
    banned_words                text[] not null default '{}',
    user_posts_cooldown_seconds int,
    who_can_post                text not null default 'everyone'
        check (who_can_post in ('everyone', 'members_only', 'admins_only', 'admins')),
    who_can_react               text not null default 'everyone'
        check (who_can_react in ('everyone', 'members_only', 'admins_only', 'admins', 'no_one')),
    customer_user_id            text references users (id),
    custom_name                 text,
    resolved_at                 timestamptz,
    last_message_at             timestamptz,
    created_by_user_id          text references users (id),
    created_at                  timestamptz not null default now(),
    check ((kind = 'experience') = (experience_id is not null))
);
create index chat_channels_company on chat_channels (company_id, kind);
create unique index support_channel_per_customer on chat_channels (company_id, customer_user_id) where kind = 'support';

-- Every experience has its chat channel, created in the same transaction as the experience.
create function create_experience_channel() returns trigger language plpgsql as $$
begin
    insert into chat_channels (id, kind, experience_id, company_id)
    values ('channel_' || substr(md5(random()::text || new.id), 1, 14), 'experience', new.id, new.company_id);
    return new;
end
$$;
create trigger experience_channel after insert on experiences
    for each row execute function create_experience_channel();

insert into chat_channels (id, kind, experience_id, company_id)
select 'channel_' || substr(md5(random()::text || e.id), 1, 14), 'experience', e.id, e.company_id from experiences e;

create table chat_messages (
    seq                    bigint generated always as identity,
    id                     text primary key,
    channel_id             text not null references chat_channels (id),
    user_id                text not null references users (id),
    content                text,
    message_type           text not null default 'regular' check (message_type in ('regular', 'system', 'automated')),
    replying_to_message_id text references chat_messages (id),
    mentions               text[] not null default '{}',
    mentions_everyone      boolean not null default false,
    poll                   jsonb,
    attachments            jsonb not null default '[]',
    auto_detect_links      boolean not null default false,
    is_pinned              boolean not null default false,
    is_edited              boolean not null default false,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    deleted_at             timestamptz
);
create unique index chat_messages_channel_seq on chat_messages (channel_id, seq);
create index chat_messages_attachments on chat_messages using gin (attachments jsonb_path_ops);

-- The cooldown clock per user and channel; an upsert on it is the atomic "may I post now?".
create table chat_cooldowns (
    channel_id   text not null references chat_channels (id),
    user_id      text not null references users (id),
    last_post_at timestamptz not null,
    primary key (channel_id, user_id)
);

-- Reactions and poll votes: uniqueness is what keeps counts exact under concurrent requests.
create table chat_reactions (
    id             text primary key,
    message_id     text not null references chat_messages (id),
    user_id        text not null references users (id),
    emoji          text,
    poll_option_id text,
    created_at     timestamptz not null default now(),
    check ((emoji is null) <> (poll_option_id is null))
);
create unique index chat_reactions_one_per_emoji on chat_reactions (message_id, user_id, emoji) where emoji is not null;
create unique index chat_reactions_one_vote on chat_reactions (message_id, user_id) where poll_option_id is not null;
create index chat_reactions_message on chat_reactions (message_id, created_at, id);

create table dm_members (
    id                      text primary key,
    channel_id              text not null references chat_channels (id),
    user_id                 text not null references users (id),
    status                  text not null default 'accepted'
        check (status in ('requested', 'accepted', 'hidden', 'closed', 'archived')),
    notification_preference text not null default 'all' check (notification_preference in ('all', 'mentions', 'none')),
    last_viewed_at          timestamptz,
    created_at              timestamptz not null default now(),
    unique (channel_id, user_id)
);
create index dm_members_user on dm_members (user_id);

-- Chat mentions become notifications through the same pipeline.
alter table notifications drop constraint notifications_api_check;
alter table notifications add constraint notifications_api_check check (api in ('v1', 'legacy', 'chat'));
-- A DM needs no company; its mention notifications have none either.
alter table notifications alter column company_id drop not null;
alter table notification_audiences alter column company_id drop not null;
