-- Realtime (dev.herald.realtime). A chat channel's stream numbers its events 1, 2, 3 … so a client that
-- reconnects with its last offset gets exactly what it missed. The counter row is taken with an
-- upsert … returning, which locks it until commit: offsets are committed in order, without holes.
-- The epoch names one offset space; a stream recreated (database restored, rows reset) gets a new one.
create table realtime_streams (
    stream      text   primary key,
    epoch       text   not null,
    last_offset bigint not null
);

-- The retained history: the last events of each stream (pruned by count and age). payload is the
-- complete frame as sent to subscribers.
create table realtime_events (
    stream     text        not null,
    seq        bigint      not null,
    payload    jsonb       not null,
    created_at timestamptz not null default now(),
    primary key (stream, seq)
);
create index realtime_events_created on realtime_events (created_at);

-- Presence: which users hold a subscription to a stream, per node. A node that stops refreshing
-- seen_at is taken as dead; its rows go with it.
create table realtime_nodes (
    id      text        primary key,
    seen_at timestamptz not null
);
create table realtime_presence (
    stream  text not null,
    user_id text not null,
    node_id text not null references realtime_nodes (id) on delete cascade,
    primary key (stream, user_id, node_id)
);

-- Every node's hub hears what can change what its connected users see on herald_changes at commit:
-- besides V6's 'u:<user>' (memberships, team roles, read-all mark) and 'e' (experiences created or
-- attached), 'n:<seq>' a notification got its audience rows and 'b:<user>' a user's read marks per
-- experience changed (badges). Chat events ('c:'), presence ('p:') and typing ('t:') are sent by the
-- application.
create function realtime_notification() returns trigger language plpgsql as $$
declare
    s bigint;
begin
    for s in select distinct seq from added loop
        perform pg_notify('herald_changes', 'n:' || s);
    end loop;
    return null;
end
$$;
create trigger realtime_notification after insert on notification_audiences
    referencing new table as added for each statement execute function realtime_notification();

create function realtime_badges() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 'b:' || new.user_id);
    return null;
end
$$;
create trigger realtime_views after insert or update on feed_views
    for each row execute function realtime_badges();
