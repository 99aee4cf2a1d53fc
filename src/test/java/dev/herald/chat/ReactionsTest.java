package dev.herald.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.Api;
import dev.herald.TestServer;
import dev.herald.World;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

import static dev.herald.World.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reactions and poll votes: one spelling per emoji, one reaction per user and emoji, one vote per user and poll. */
class ReactionsTest {
    /** The canonical spelling of :heart: / ❤️ / ❤ (Unicode without the U+FE0F variation selector). */
    static final String HEART = "❤";

    static World world;
    static String member;
    static String team;

    @BeforeAll
    static void setUp() {
        world = new World();
        member = world.customer("reactor", world.productA);
        team = world.teamMember("reactmod");
    }

    static String message(World w, String userId, String content) {
        return ok(w.as(userId).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", content))).get("id").asText();
    }

    static String poll(World w, String userId) {
        return ok(w.as(userId).post("/api/v1/messages", Map.of("channel_id", w.experienceA, "content", "Lunch?", "poll",
                Map.of("options", List.of(Map.of("id", "1", "text", "Pizza"), Map.of("id", "2", "text", "Sushi")))))).get("id").asText();
    }

    static Api.Response react(Api as, String messageId, String emoji) {
        return as.post("/api/v1/reactions", Map.of("resource_id", messageId, "emoji", emoji));
    }

    static Api.Response vote(Api as, String messageId, String optionId) {
        return as.post("/api/v1/reactions", Map.of("resource_id", messageId, "poll_option_id", optionId));
    }

    static JsonNode counts(String messageId, String field) {
        return ok(world.admin.get("/api/v1/messages/" + messageId)).get(field);
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** Runs the calls at once (all released by one latch) and returns their answers in order. */
    static List<Api.Response> concurrently(int n, IntFunction<Api.Response> call) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Api.Response>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    go.await();
                    return call.apply(index);
                }));
            }
            go.countDown();
            List<Api.Response> out = new ArrayList<>();
            for (Future<Api.Response> f : futures) {
                out.add(f.get());
            }
            return out;
        }
    }

    @Test
    void everySpellingOfAnEmojiIsOneReaction() {
        String id = message(world, member, "react to me");
        JsonNode first = ok(react(world.as(member), id, ":heart:"));
        assertTrue(first.get("id").asText().startsWith("reac_"));
        assertEquals(HEART, first.get("emoji").asText());
        assertEquals(id, first.get("resource_id").asText());
        assertEquals(member, first.get("user").get("id").asText());
        assertEquals("reactor", first.get("user").get("name").asText());
        assertTrue(first.get("user").get("username").asText().startsWith("reactor_"));
        assertTrue(first.get("poll_option_id").isNull());
        for (String spelling : List.of("❤️", "❤", ":HEART:", " :heart: ", ":red_heart:")) {
            assertEquals(first.get("id"), ok(react(world.as(member), id, spelling)).get("id"), spelling);
        }
        JsonNode thumbs = ok(react(world.as(member), id, ":+1:"));
        assertEquals("👍", thumbs.get("emoji").asText());
        assertEquals(thumbs.get("id"), ok(react(world.as(member), id, ":thumbsup:")).get("id"));
        assertEquals(thumbs.get("id"), ok(react(world.as(member), id, "👍")).get("id"));
        assertEquals(":party_parrot:", ok(react(world.as(member), id, ":Party_Parrot:")).get("emoji").asText());
        assertEquals("👨‍👩‍👧", ok(react(world.as(team), id, "👨‍👩‍👧")).get("emoji").asText());
        assertEquals(HEART, ok(react(world.as(team), id, "❤️")).get("emoji").asText());

        JsonNode reactionCounts = counts(id, "reaction_counts");
        assertEquals(4, reactionCounts.size(), reactionCounts::toString);
        assertEquals(HEART, reactionCounts.get(0).get("emoji").asText(), "first-reacted first");
        assertEquals(2, reactionCounts.get(0).get("count").asInt());
        assertEquals(1, reactionCounts.get(1).get("count").asInt());
    }

    @Test
    void badRequestsNameTheirParameter() {
        String id = message(world, member, "validate");
        Api as = world.as(member);
        for (String bad : List.of("hello", "🔥🔥", "1", "", ":no spaces:", ":" + "a".repeat(63) + ":", "x".repeat(65))) {
            Api.Response r = react(as, id, bad);
            assertEquals(400, r.status(), bad);
            assertEquals("parameter_invalid", r.errorCode(), bad);
            assertEquals("emoji", r.errorParam(), bad);
        }
        Api.Response both = as.post("/api/v1/reactions", Map.of("resource_id", id, "emoji", "🔥", "poll_option_id", "1"));
        assertEquals(400, both.status());
        assertEquals("poll_option_id", both.errorParam());
        Api.Response neither = as.post("/api/v1/reactions", Map.of("resource_id", id));
        assertEquals("parameter_missing", neither.errorCode());
        assertEquals("emoji", neither.errorParam());
        assertEquals("resource_id", as.post("/api/v1/reactions", Map.of("emoji", "🔥")).errorParam());
        Api.Response noPoll = vote(as, id, "1");
        assertEquals(400, noPoll.status());
        assertEquals("poll_option_id", noPoll.errorParam());
        Api.Response unknownOption = vote(as, poll(world, member), "3");
        assertEquals(400, unknownOption.status());
        assertEquals("poll_option_id", unknownOption.errorParam());
        assertEquals(404, react(as, "msg_doesnotexist0000", "🔥").status());
        assertEquals(400, as.get("/api/v1/reactions").status());
        assertEquals(400, as.get("/api/v1/reactions?resource_id=" + id + "&after=bm9wZQ").status());
    }

    @Test
    void concurrentReactionsCountExactly() throws Exception {
        World w = new World();
        String author = w.customer("author", w.productA);
        String id = message(w, author, "popular");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            users.add(w.customer("fan" + i, w.productA));
        }
        List<Api.Response> answers = concurrently(20, i -> react(w.as(users.get(i)), id, i % 2 == 0 ? ":heart:" : "❤️"));
        answers.forEach(r -> assertEquals(200, r.status(), r::toString));
        assertEquals(20, answers.stream().map(r -> r.json().get("id").asText()).distinct().count());
        JsonNode reactionCounts = ok(w.admin.get("/api/v1/messages/" + id)).get("reaction_counts");
        assertEquals(1, reactionCounts.size(), reactionCounts::toString);
        assertEquals(HEART, reactionCounts.get(0).get("emoji").asText());
        assertEquals(20, reactionCounts.get(0).get("count").asInt());

        String once = message(w, author, "once");
        List<Api.Response> duplicates = concurrently(10, i -> react(w.as(users.getFirst()), once, i % 2 == 0 ? "🔥" : ":fire:"));
        duplicates.forEach(r -> assertEquals(200, r.status(), r::toString));
        assertEquals(1, duplicates.stream().map(r -> r.json().get("id").asText()).distinct().count(), "the same reaction every time");
        JsonNode fire = ok(w.admin.get("/api/v1/messages/" + once)).get("reaction_counts");
        assertEquals(1, fire.size());
        assertEquals("🔥", fire.get(0).get("emoji").asText());
        assertEquals(1, fire.get(0).get("count").asInt());
    }

    @Test
    void concurrentVotesMoveAndCountExactly() throws Exception {
        World w = new World();
        String author = w.customer("pollster", w.productA);
        String id = poll(w, author);
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            voters.add(w.customer("voter" + i, w.productA));
        }
        List<Api.Response> firstRound = concurrently(10, i -> vote(w.as(voters.get(i)), id, "1"));
        firstRound.forEach(r -> assertEquals(200, r.status(), r::toString));
        assertEquals(Map.of("1", 10, "2", 0), votes(w, id));
        List<Api.Response> secondRound = concurrently(10, i -> vote(w.as(voters.get(i)), id, "2"));
        secondRound.forEach(r -> assertEquals(200, r.status(), r::toString));
        assertEquals(Map.of("1", 0, "2", 10), votes(w, id));
        for (int i = 0; i < 10; i++) {
            assertEquals(firstRound.get(i).json().get("id"), secondRound.get(i).json().get("id"), "a moved vote keeps its id");
            assertEquals("2", secondRound.get(i).json().get("poll_option_id").asText());
            assertTrue(secondRound.get(i).json().get("emoji").isNull());
        }
        // Racing one user's votes for both options leaves exactly one vote.
        List<Api.Response> racing = concurrently(10, i -> vote(w.as(author), id, i % 2 == 0 ? "1" : "2"));
        racing.forEach(r -> assertEquals(200, r.status(), r::toString));
        Map<String, Integer> after = votes(w, id);
        assertEquals(11, after.get("1") + after.get("2"));
        JsonNode list = ok(w.as(author).get("/api/v1/reactions?resource_id=" + id + "&first=100"));
        assertEquals(11, list.get("data").size());
        assertEquals(0, ok(w.admin.get("/api/v1/messages/" + id)).get("reaction_counts").size(), "votes are not emoji reactions");
    }

    static Map<String, Integer> votes(World w, String messageId) {
        Map<String, Integer> out = new HashMap<>();
        ok(w.admin.get("/api/v1/messages/" + messageId)).get("poll_votes")
                .forEach(v -> out.put(v.get("option_id").asText(), v.get("count").asInt()));
        return out;
    }

    @Test
    void listingWalksEveryReactionOnceInBothDirections() {
        World w = new World();
        String author = w.customer("lister", w.productA);
        String id = message(w, author, "many reactions");
        List<String> emojis = List.of("🔥", "🎉", "🚀", "👀", "💯", "👏", "🙏");
        List<String> ids = new ArrayList<>();
        for (String emoji : emojis) {
            ids.add(ok(react(w.as(author), id, emoji)).get("id").asText());
        }
        List<String> seen = new ArrayList<>();
        String after = null;
        do {
            JsonNode page = ok(w.as(author).get("/api/v1/reactions?resource_id=" + id + "&first=3" + (after == null ? "" : "&after=" + after)));
            seen.addAll(ids(page));
            after = page.get("page_info").get("end_cursor").isNull() ? null : page.get("page_info").get("end_cursor").asText();
        } while (after != null);
        assertEquals(ids, seen);

        JsonNode last = ok(w.as(author).get("/api/v1/reactions?resource_id=" + id + "&last=2"));
        assertEquals(ids.subList(5, 7), ids(last));
        assertTrue(last.get("page_info").get("has_previous_page").asBoolean());
        String start = last.get("page_info").get("start_cursor").asText();
        JsonNode before = ok(w.as(author).get("/api/v1/reactions?resource_id=" + id + "&last=3&before=" + start));
        assertEquals(ids.subList(2, 5), ids(before));
        assertTrue(before.get("page_info").get("has_next_page").asBoolean());

        String empty = message(w, author, "nobody reacts");
        JsonNode none = ok(w.as(author).get("/api/v1/reactions?resource_id=" + empty));
        assertEquals(0, none.get("data").size());
        assertTrue(none.get("page_info").get("end_cursor").isNull());
    }

    static List<String> ids(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("data").forEach(r -> out.add(r.get("id").asText()));
        return out;
    }

    @Test
    void removingReactions() {
        String id = message(world, member, "remove reactions");
        String other = world.customer("other", world.productA);
        JsonNode mine = ok(react(world.as(member), id, "🎉"));
        JsonNode theirs = ok(react(world.as(other), id, "🎉"));
        String mineId = mine.get("id").asText();
        assertEquals(mine, ok(world.as(other).get("/api/v1/reactions/" + mineId)));
        assertEquals(403, world.as(other).delete("/api/v1/reactions/" + mineId).status());
        assertEquals("true", world.as(member).delete("/api/v1/reactions/" + mineId).raw().body());
        assertEquals(404, world.as(member).get("/api/v1/reactions/" + mineId).status());
        assertEquals(404, world.as(member).delete("/api/v1/reactions/" + mineId).status());
        assertEquals("true", world.as(team).delete("/api/v1/reactions/" + theirs.get("id").asText()).raw().body(),
                "a channel admin removes anyone's");

        ok(react(world.as(member), id, "❤️"));
        ok(react(world.as(other), id, ":heart:"));
        assertEquals(400, world.as(member).delete("/api/v1/reactions/" + id).status(), "a message id needs ?emoji=");
        assertEquals("true", world.as(member).delete("/api/v1/reactions/" + id + "?emoji=" + encode(":heart:")).raw().body());
        Api.Response again = world.as(member).delete("/api/v1/reactions/" + id + "?emoji=" + encode("❤"));
        assertEquals(404, again.status());
        assertEquals("emoji", again.errorParam());
        JsonNode left = counts(id, "reaction_counts");
        assertEquals(1, left.size());
        assertEquals(1, left.get(0).get("count").asInt(), "only the caller's reaction went");

        String vote = ok(vote(world.as(member), poll(world, member), "2")).get("id").asText();
        assertEquals("true", world.as(member).delete("/api/v1/reactions/" + vote).raw().body(), "a vote is withdrawn by its id");
    }

    @Test
    void whoCanReactAndBannedWords() {
        World w = new World();
        String m = w.customer("rules", w.productA);
        String mod = w.teamMember("rulesmod");
        String id = message(w, m, "rules apply");
        String poll = poll(w, m);
        ok(w.as(mod).patch("/api/v1/chat_channels/" + w.experienceA, Map.of("who_can_react", "admins")));
        assertEquals(403, react(w.as(m), id, "🔥").status());
        assertEquals(403, vote(w.as(m), poll, "1").status());
        assertEquals(200, react(w.as(mod), id, "🔥").status());
        ok(w.as(mod).patch("/api/v1/chat_channels/" + w.experienceA, Map.of("who_can_react", "no_one")));
        assertEquals(403, react(w.as(mod), id, "🎉").status(), "no_one includes admins");
        assertEquals(403, react(w.as(m), id, "🎉").status());
        ok(w.as(mod).patch("/api/v1/chat_channels/" + w.experienceA, Map.of("who_can_react", "members_only")));
        assertEquals(200, vote(w.as(m), poll, "1").status());

        ok(w.as(mod).patch("/api/v1/chat_channels/" + w.experienceA, Map.of("banned_words", List.of("scam"))));
        Api.Response banned = react(w.as(m), id, ":Scam_Coin:");
        assertEquals(400, banned.status());
        assertEquals("banned_word", banned.errorCode());
        assertEquals("emoji", banned.errorParam());
        assertEquals(200, react(w.as(m), id, ":heart:").status());
    }

    @Test
    void keysReactAsTheirBotWithinTheirPermissions() {
        String id = message(world, member, "keys");
        Api reader = TestServer.as(world.appKey("chat:read"));
        assertEquals(403, react(reader, id, "🔥").status());
        assertEquals(200, reader.get("/api/v1/reactions?resource_id=" + id).status());
        Api writer = TestServer.as(world.appKey("chat:message:create"));
        JsonNode byBot = ok(react(writer, id, "🔥"));
        assertTrue(byBot.get("user").get("username").asText().startsWith("bot-"));
        assertEquals(403, writer.get("/api/v1/reactions?resource_id=" + id).status(), "reading needs chat:read");
        assertEquals("true", writer.delete("/api/v1/reactions/" + id + "?emoji=" + encode(":fire:")).raw().body());
        String byMember = ok(react(world.as(member), id, "🔥")).get("id").asText();
        assertEquals(403, writer.delete("/api/v1/reactions/" + byMember).status(), "removing others' needs chat:moderate");
        Api moderator = TestServer.as(world.appKey("chat:read", "chat:moderate"));
        assertEquals(200, moderator.delete("/api/v1/reactions/" + byMember).status());
    }

    @Test
    void outsidersAndOtherTenantsSeeNothing() {
        String id = message(world, member, "private");
        String reaction = ok(react(world.as(member), id, "🔥")).get("id").asText();
        String outsider = world.user("outsider");
        String otherProduct = world.customer("elsewhere", world.productB);
        World other = new World();
        Api otherKey = TestServer.as(other.companyKey("chat:read", "chat:message:create", "chat:moderate"));
        List<Api> strangers = List.of(world.as(outsider), world.as(otherProduct), otherKey);
        for (Api stranger : strangers) {
            assertEquals(404, react(stranger, id, "🔥").status());
            assertEquals(404, stranger.get("/api/v1/reactions?resource_id=" + id).status());
            assertEquals(404, stranger.get("/api/v1/reactions/" + reaction).status());
            assertEquals(404, stranger.delete("/api/v1/reactions/" + reaction).status());
            assertEquals(404, stranger.delete("/api/v1/reactions/" + id + "?emoji=" + encode("🔥")).status());
        }
        Api.Response deleted = world.as(member).delete("/api/v1/messages/" + id);
        assertEquals(200, deleted.status());
        assertEquals(404, world.as(member).get("/api/v1/reactions/" + reaction).status(), "a deleted message takes its reactions along");
        assertEquals(404, react(world.as(member), id, "🎉").status());
    }
}
