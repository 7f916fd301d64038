package dev.sequoia.engine.server;

import dev.sequoia.engine.api.Engine;
import dev.sequoia.engine.api.Session;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Engine sessions for requests. A request without a conversation id gets a session of its own, closed when it
 * ends. A request with one (the {@code X-Conversation-Id} header or the {@code user} field) reuses that
 * conversation's session, and the KV cache in it: a chat turn always (the session renders the conversation and
 * keeps its longest common prefix in tokens), a completion when its prompt continues the text the session holds
 * (the previous prompt and reply; then only the new text is fed). Otherwise, or while the conversation is busy
 * with another request, it starts afresh. At most {@code max} conversations are kept; the least recently used idle one
 * is closed past that.
 *
 * <p>Threading: any request thread; the map is guarded by this object's lock, sessions are opened and closed
 * outside it.
 */
final class Conversations implements AutoCloseable {
    private final Engine engine;
    private final int max;
    private final LinkedHashMap<String, Conversation> kept = new LinkedHashMap<>(16, 0.75f, true);

    /**
     * A kept conversation: its session and the text that session holds (null after a chat turn, whose rendered
     * text only the session knows, in tokens). Guarded by the outer lock.
     */
    private static final class Conversation {
        final Session session;
        String text = "";
        boolean busy = true;
        boolean dropped;

        Conversation(Session session) { this.session = session; }
    }

    /**
     * A session lent to one request; for a completion, with the prompt text to feed it (all of it, or what
     * continues it); for a chat turn {@code prompt} and {@code feed} are null.
     */
    final class Lease {
        final Session session;
        final String feed;
        private final String id;
        private final String prompt;
        private final Conversation conversation;

        private Lease(Session session, String feed, String id, String prompt, Conversation conversation) {
            this.session = session;
            this.feed = feed;
            this.id = id;
            this.prompt = prompt;
            this.conversation = conversation;
        }

        /** Ends the request: a finished reply is kept for the next turn; {@code reply == null} forgets it. */
        void release(String reply) { Conversations.this.release(this, reply); }
    }

    Conversations(Engine engine, int max) {
        this.engine = engine;
        this.max = max;
    }

    /** A session for a completion of {@code prompt} in conversation {@code id} (null: none). */
    Lease lease(String id, String prompt) {
        return lease(id, prompt, c -> c.text != null && !c.text.isEmpty() && prompt.startsWith(c.text)
                && prompt.length() > c.text.length());
    }

    /** A session for a chat turn in conversation {@code id} (null: none): its own, whatever it holds. */
    Lease leaseChat(String id) {
        return lease(id, null, c -> true);
    }

    private Lease lease(String id, String prompt, Predicate<Conversation> continues) {
        if (id == null || max == 0) return new Lease(engine.openSession(), prompt, null, prompt, null);
        Session stale = null;
        synchronized (this) {
            Conversation c = kept.get(id);
            if (c != null && c.busy) {
                return new Lease(engine.openSession(), prompt, null, prompt, null); // no interleaving on one KV cache
            }
            if (c != null && continues.test(c)) {
                c.busy = true;
                return new Lease(c.session, prompt == null ? null : prompt.substring(c.text.length()), id, prompt, c);
            }
            if (c != null) {
                kept.remove(id);
                stale = c.session;
            }
        }
        if (stale != null) stale.close();
        Conversation fresh = new Conversation(engine.openSession());
        List<Session> evicted;
        synchronized (this) {
            Conversation previous = kept.put(id, fresh);
            if (previous != null) previous.dropped = true; // a racing request of the same id: it closes its own
            evicted = evictIdle();
        }
        evicted.forEach(Session::close);
        return new Lease(fresh.session, prompt, id, prompt, fresh);
    }

    private void release(Lease lease, String reply) {
        if (lease.conversation == null) {
            lease.session.close();
            return;
        }
        boolean close;
        synchronized (this) {
            Conversation c = lease.conversation;
            c.busy = false;
            close = reply == null || c.dropped;
            if (close) {
                if (kept.get(lease.id) == c) kept.remove(lease.id);
            } else {
                c.text = lease.prompt == null ? null : lease.prompt + reply;
            }
        }
        if (close) lease.conversation.session.close();
    }

    /** Idle conversations beyond the limit, least recently used first, removed from the map. */
    private List<Session> evictIdle() {
        List<Session> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, Conversation>> it = kept.entrySet().iterator();
             it.hasNext() && kept.size() > max; ) {
            Conversation c = it.next().getValue();
            if (c.busy) continue;
            it.remove();
            out.add(c.session);
        }
        return out;
    }

    synchronized int size() { return kept.size(); }

    /** Closes every idle conversation; busy ones are closed by their requests when they end. */
    @Override
    public void close() {
        List<Session> idle = new ArrayList<>();
        synchronized (this) {
            for (Conversation c : kept.values()) {
                c.dropped = true;
                if (!c.busy) idle.add(c.session);
            }
            kept.clear();
        }
        idle.forEach(Session::close);
    }
}
