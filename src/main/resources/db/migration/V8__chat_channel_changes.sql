-- Experience channels are cached in memory (chat/ChatCache); a change to one, or to its experience,
-- announces 'r:<channel id>' on herald_changes at commit so every node drops its copy. Support and DM
-- threads are not cached: their rows change on every post, and a NOTIFY per post would serialise commits.
create function chat_channel_changed() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 'r:' || old.id);
    return null;
end
$$;
create trigger chat_channel_changed after update or delete on chat_channels
    for each row when (old.kind = 'experience') execute function chat_channel_changed();

create function chat_experience_changed() returns trigger language plpgsql as $$
begin
    perform pg_notify('herald_changes', 'r:' || c.id) from chat_channels c where c.experience_id = old.id;
    return null;
end
$$;
create trigger chat_experience_changed after update on experiences
    for each row execute function chat_experience_changed();
