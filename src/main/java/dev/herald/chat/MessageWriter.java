package dev.herald.chat;

import dev.herald.events.Events;
import dev.herald.notify.NotificationService;
import dev.herald.web.ApiException;
import org.jdbi.v3.core.Handle;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writes new messages with group commit: one thread takes every post waiting, writes them all in
 * one transaction (one batched INSERT for the messages, one for their events) and answers each
 * after the single commit. Under load a commit, which waits for the disk, carries dozens of
 * messages instead of one; a lone post is written at once. One writer per node also means a
 * node's messages commit in the order of their positions, which cursor walks rely on.
 * When a group fails, each of its posts is retried alone, so one bad post fails only itself.
 */
public final class MessageWriter implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MessageWriter.class.getName());
    private static final int MAX_GROUP = 256;

    /** A validated post: what to store, and what else its transaction does. */
    record Post(ChatStore.NewMessage message, ChannelRow channel, Integer cooldownSeconds, List<String> mentioned,
                boolean notifyEveryone, String excerpt, CompletableFuture<MessageView> result) {
        Post {
            mentioned = List.copyOf(mentioned);
        }
    }

    private final ChatStore store;
    private final NotificationService notifications;
    private final Events events;
    private final LinkedBlockingQueue<Post> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean stopping;

    public MessageWriter(ChatStore store, NotificationService notifications, Events events) {
        this.store = store;
        this.notifications = notifications;
        this.events = events;
        this.thread = Thread.ofPlatform().name("chat-message-writer").daemon().start(this::loop);
    }

    /** Stores the post and returns its view once committed; throws what writing it threw (e.g. 429 for slow mode). */
    MessageView write(ChatStore.NewMessage message, ChannelRow channel, Integer cooldownSeconds, List<String> mentioned,
                      boolean notifyEveryone, String excerpt) {
        if (stopping) {
            throw ApiException.unavailable("Herald is shutting down; retry in a moment.", 1);
        }
        Post post = new Post(message, channel, cooldownSeconds, mentioned, notifyEveryone, excerpt, new CompletableFuture<>());
        queue.add(post);
        try {
            return post.result().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    private void loop() {
        List<Post> group = new ArrayList<>(MAX_GROUP);
        while (!(stopping && queue.isEmpty())) {
            try {
                Post first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                queue.drainTo(group, MAX_GROUP - 1);
                writeGroup(group);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | Error e) {
                LOG.log(Level.SEVERE, "Message writer failed", e);
                group.forEach(p -> p.result().completeExceptionally(e));
            } finally {
                group.clear();
            }
        }
    }

    private void writeGroup(List<Post> group) {
        Map<Post, RuntimeException> refused = new HashMap<>();
        List<MessageView> views;
        try {
            views = store.jdbi().inTransaction(h -> write(h, group, refused));
        } catch (RuntimeException e) {
            if (group.size() == 1) {
                group.getFirst().result().completeExceptionally(e);
                return;
            }
            LOG.log(Level.FINE, "A group of " + group.size() + " posts failed; writing them one by one", e);
            for (Post post : group) {
                writeGroup(List.of(post));
            }
            return;
        }
        int next = 0;
        for (Post post : group) {
            RuntimeException error = refused.get(post);
            if (error != null) {
                post.result().completeExceptionally(error);
            } else {
                post.result().complete(views.get(next++));
            }
        }
    }

    private List<MessageView> write(Handle h, List<Post> group, Map<Post, RuntimeException> refused) {
        List<Post> accepted = new ArrayList<>(group.size());
        for (Post post : group) {
            if (post.cooldownSeconds() != null) {
                long wait = store.claimCooldown(h, post.channel().id(), post.message().userId(), post.cooldownSeconds());
                if (wait > 0) {
                    refused.put(post, ApiException.tooManyRequests("Slow mode: you can post again in " + wait + " s.", wait));
                    continue;
                }
            }
            accepted.add(post);
        }
        if (accepted.isEmpty()) {
            return List.of();
        }
        List<MessageRow> rows = store.insertMessages(h, accepted.stream().map(Post::message).toList());
        List<MessageView> views = new ArrayList<>(rows.size());
        List<Map<String, Object>> events = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            Post post = accepted.get(i);
            MessageRow row = rows.get(i);
            if (post.channel().kind() != ChannelRow.Kind.EXPERIENCE) {
                // Threads and DMs show their last activity; an experience channel does not, and its row
                // would otherwise be a lock every poster of a busy channel queues on.
                store.touchChannel(h, post.channel().id(), row.userId());
            }
            if (!post.mentioned().isEmpty() || post.notifyEveryone()) {
                notifications.enqueueChatMention(h, new NotificationService.ChatMention(post.channel().companyId(),
                        post.channel().experienceId(), post.channel().appId(), row.userId(),
                        (row.userName() != null ? row.userName() : row.username()) + " mentioned you",
                        post.excerpt(), post.mentioned(), post.notifyEveryone()));
            }
            // A message just written has no reactions or votes yet: its view needs no counting.
            MessageView view = MessageView.of(row, List.of(), List.of());
            views.add(view);
            events.add(ChatEvents.messageEvent(h, ChatEvents.MESSAGE_CREATED, post.channel(), view, "message_created"));
        }
        this.events.publish(h, events);
        return views;
    }

    /** Writes what is queued, then stops; call after the HTTP server stopped taking requests. */
    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(java.time.Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
