-- Every change that can alter what a user sees announces itself on the herald_changes channel at
-- commit, on every node: feed caches (notify/FeedCache) and the realtime hub stay exact by it. 's:<key>' a source got a notification,
-- 'u:<user id>' a user's sources or read-all mark changed, 'e' something that touches many users.
create function feed_changed_source() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 's:' || new.source_key);
    return null;
end
$$;
create trigger feed_source after insert on notification_audiences
    for each row execute function feed_changed_source();

create function feed_changed_user() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 'u:' || coalesce(new.user_id, old.user_id));
    return null;
end
$$;
create trigger feed_membership after insert or update or delete on memberships
    for each row execute function feed_changed_user();
create trigger feed_team after insert or update or delete on authorized_users
    for each row execute function feed_changed_user();

create function feed_changed_reader() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 'u:' || new.id);
    return null;
end
$$;
create trigger feed_reader after update of feed_read_all_seq on users
    for each row execute function feed_changed_reader();

create function feed_changed_everyone() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 'e');
    return null;
end
$$;
create trigger feed_attach after insert or update or delete on experience_products
    for each statement execute function feed_changed_everyone();
create trigger feed_experience after insert or delete on experiences
    for each statement execute function feed_changed_everyone();
