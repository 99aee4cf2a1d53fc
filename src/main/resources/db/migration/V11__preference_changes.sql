-- A user's notification preferences decide what their feed shows (muted topics): a change announces
-- 'u:<user>' on herald_changes like a membership change, so cached feeds on every node are dropped.
create trigger feed_preferences after insert or update or delete on notification_preferences
    for each row execute function feed_changed_user();

-- A topic off by default is muted for everyone who did not turn it on: its arrival changes every feed.
create trigger feed_topics after insert or update or delete on notification_topics
    for each statement execute function feed_changed_everyone();
