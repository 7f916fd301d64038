package dev.sequoia.engine.api;

import dev.sequoia.engine.session.AutoregressiveDecoder;
import dev.sequoia.engine.session.SharedForward;
import dev.sequoia.engine.session.StepRound;
import dev.sequoia.engine.speculative.TreeProvider;
import dev.sequoia.engine.speculative.TreeSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * One pass for every active session (issue 18): each session's step is a {@link StepRound}; the draft forwards
 * of all rounds still drafting run together level by level, then the target's verification forwards of all
 * rounds run as ONE shared forward (every weight read once for every session's tree); each session verifies
 * with its own verifier and random stream and keeps its own accepted path in its own caches.
 *
 * <p>Containment: a session that is cancelled, ends, or fails (its round, its listener, its own forward) leaves
 * the others' rounds as they were; a failed shared forward fails exactly the sessions whose rows it carried.
 * Decoders whose forwards cannot share a pass (no {@link dev.sequoia.engine.session.StepRound}) step alone within the
 * pass; the CPU and CUDA backends' decoders share it (their models' {@link dev.sequoia.engine.session.PassModel.Key}s).
 *
 * <p>Prompts ride the pass too: a session that joins feeds its prompt (all but its last token, which is its
 * first step's root) in its first round's own forwards, ahead of its tree, so joining costs no pass of its own
 * and its first token comes from the pass that fed its prompt. A prompt longer than {@link #PROMPT_CHUNK}
 * tokens (by default) feeds one chunk per pass (a round that only feeds), its first step riding with the last chunk: a pass
 * never carries more than that many prompt rows of one session, which bounds the pass's activation memory as
 * the decoders' own prefill does ({@link AutoregressiveDecoder#PREFILL_CHUNK}) and bounds how much one joining
 * session lengthens the pass for the sessions already decoding.
 *
 * <p>The trees: each session's own provider choice, unless the provider splits the pass's token budget between
 * the sessions ({@link TreeProvider#forPass}), re-planned every pass as sessions come and go.
 *
 * <p>Confined to the engine thread.
 */
final class SharedPassRunner implements EngineLoop.PassRunner {
    /** The most prompt tokens one session feeds in one pass. */
    static final int PROMPT_CHUNK = AutoregressiveDecoder.PREFILL_CHUNK;

    private final TreeProvider trees;
    private final int promptChunk;

    /** @param trees the engine's tree policy, or null for plain decoding */
    SharedPassRunner(TreeProvider trees) {
        this(trees, PROMPT_CHUNK);
    }

    /** @param promptChunk the most prompt tokens one session feeds in one pass (tests use small chunks) */
    SharedPassRunner(TreeProvider trees, int promptChunk) {
        if (promptChunk < 1) throw new IllegalArgumentException("promptChunk " + promptChunk + ": expected at least 1");
        this.trees = trees;
        this.promptChunk = promptChunk;
    }

    /** A session taking part in the pass. */
    private static final class Member {
        final SessionState session;
        final GenerationTask task;
        final StepRound round;
        /** Whether the round is a step (else it only feeds a prompt chunk). */
        final boolean steps;
        SharedForward.Request wanted;
        boolean failed;

        Member(SessionState session, GenerationTask task, StepRound round, boolean steps) {
            this.session = session;
            this.task = task;
            this.round = round;
            this.steps = steps;
        }

        void fail(Throwable e) {
            failed = true;
            task.fail(e);
        }
    }

    @Override
    public List<SessionState> run(List<SessionState> sessions) {
        List<SessionState> ended = new ArrayList<>();
        List<SessionState> stepping = new ArrayList<>();
        for (SessionState s : sessions) {
            GenerationTask task = s.turns.peekFirst();
            StopReason stop = task.stopBeforeStep();
            if (stop != null) {
                task.finish(stop);
                ended.add(s);
            } else {
                stepping.add(s);
            }
        }
        List<Member> members = begin(stepping, ended);
        int passRows = drive(members);
        for (Member m : members) {
            if (m.failed) {
                ended.add(m.session);
                continue;
            }
            if (!m.steps) continue; // a prompt chunk went in; the session steps in a later pass
            try {
                if (!m.task.apply(m.round.output(), passRows)) ended.add(m.session);
            } catch (Throwable e) {
                m.fail(e);
                ended.add(m.session);
            }
        }
        return ended;
    }

    /**
     * Each session's round: a step (with its planned tree, and the rest of its prompt fed ahead of it), or a
     * prompt chunk alone; sessions that cannot share the pass step alone here.
     */
    private List<Member> begin(List<SessionState> sessions, List<SessionState> ended) {
        List<SessionState> stepping = new ArrayList<>();
        int promptRows = 0;
        for (SessionState s : sessions) {
            int unfed = s.turns.peekFirst().unfed();
            if (unfed <= promptChunk) stepping.add(s);
            promptRows += Math.min(promptChunk, unfed);
        }
        List<TreeSpec> planned = plan(stepping, promptRows);
        List<Member> members = new ArrayList<>();
        for (SessionState s : sessions) {
            GenerationTask task = s.turns.peekFirst();
            int[] feed = task.nextFeed(promptChunk);
            int planIndex = stepping.indexOf(s);
            boolean steps = planIndex >= 0;
            StepRound round;
            try {
                round = steps ? s.decoder.beginRound(feed, s.last(), task.request().sampling(), task.random(),
                        planned == null ? null : planned.get(planIndex)) : s.decoder.beginFeed(feed);
            } catch (Throwable e) {
                task.fail(e);
                ended.add(s);
                continue;
            }
            if (round == null) {
                if (!EngineLoop.stepAlone(s)) ended.add(s);
            } else {
                if (steps) task.promptRidesPass();
                members.add(new Member(s, task, round, steps));
            }
        }
        return members;
    }

    /** The pass's trees for the sessions that step in it (beside its prompt rows), or null for each session's own. */
    private List<TreeSpec> plan(List<SessionState> sessions, int promptRows) {
        if (trees == null || sessions.size() < 2) return null;
        List<TreeProvider.Setting> settings = new ArrayList<>(sessions.size());
        for (SessionState s : sessions) {
            var sampling = s.turns.peekFirst().request().sampling();
            settings.add(new TreeProvider.Setting(sampling.temperature(), sampling.topP()));
        }
        try {
            return trees.forPass(settings, promptRows);
        } catch (RuntimeException e) {
            return null; // planning is an optimisation: each session falls back to its own tree
        }
    }

    /**
     * Runs the rounds' forwards: the draft levels of every round still drafting together, and once none drafts,
     * the verification forwards of all together. Returns the rows of the shared verification pass.
     */
    private static int drive(List<Member> members) {
        int verifiedRows = 0;
        while (true) {
            List<Member> live = new ArrayList<>();
            boolean drafting = false;
            for (Member m : members) {
                if (m.failed) continue;
                m.wanted = m.round.next();
                if (m.wanted == null) continue;
                live.add(m);
                drafting |= !m.round.verifies();
            }
            if (live.isEmpty()) return verifiedRows;
            if (drafting) live.removeIf(m -> m.round.verifies()); // verification waits for every tree
            List<SharedForward.Request> requests = live.stream().map(m -> m.wanted).toList();
            if (!drafting) verifiedRows += SharedForward.rows(requests);
            for (SharedForward.Outcome o : SharedForward.run(requests)) supply(live, o);
        }
    }

    private static void supply(List<Member> live, SharedForward.Outcome outcome) {
        for (int j = 0; j < outcome.requests().size(); j++) {
            Member m = live.get(outcome.requests().get(j));
            if (outcome.failure() != null) {
                m.fail(outcome.failure());
                continue;
            }
            try {
                m.round.supply(outcome.logits().get(j));
            } catch (Throwable e) {
                m.fail(e);
            }
        }
    }
}
