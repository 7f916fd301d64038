package dev.sequoia.engine.api;

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
 * Decoders whose forwards cannot share a pass (the CUDA backend's, today) step alone within the pass.
 *
 * <p>The trees: each session's own provider choice, unless the provider splits the pass's token budget between
 * the sessions ({@link TreeProvider#forPass}), re-planned every pass as sessions come and go.
 *
 * <p>Confined to the engine thread.
 */
final class SharedPassRunner implements EngineLoop.PassRunner {
    private final TreeProvider trees;

    /** @param trees the engine's tree policy, or null for plain decoding */
    SharedPassRunner(TreeProvider trees) {
        this.trees = trees;
    }

    /** A session taking part in the pass. */
    private static final class Member {
        final SessionState session;
        final GenerationTask task;
        final StepRound round;
        SharedForward.Request wanted;
        boolean failed;

        Member(SessionState session, GenerationTask task, StepRound round) {
            this.session = session;
            this.task = task;
            this.round = round;
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
            try {
                if (!m.task.apply(m.round.output(), passRows)) ended.add(m.session);
            } catch (Throwable e) {
                m.fail(e);
                ended.add(m.session);
            }
        }
        return ended;
    }

    /** Each session's round (with its planned tree); sessions that cannot share the pass step alone here. */
    private List<Member> begin(List<SessionState> sessions, List<SessionState> ended) {
        List<TreeSpec> planned = plan(sessions);
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            SessionState s = sessions.get(i);
            GenerationTask task = s.turns.peekFirst();
            StepRound round;
            try {
                round = s.decoder.beginRound(s.last(), task.request().sampling(), task.random(),
                        planned == null ? null : planned.get(i));
            } catch (Throwable e) {
                task.fail(e);
                ended.add(s);
                continue;
            }
            if (round == null) {
                if (!EngineLoop.stepAlone(s)) ended.add(s);
            } else {
                members.add(new Member(s, task, round));
            }
        }
        return members;
    }

    private List<TreeSpec> plan(List<SessionState> sessions) {
        if (trees == null || sessions.size() < 2) return null;
        List<TreeProvider.Setting> settings = new ArrayList<>(sessions.size());
        for (SessionState s : sessions) {
            var sampling = s.turns.peekFirst().request().sampling();
            settings.add(new TreeProvider.Setting(sampling.temperature(), sampling.topP()));
        }
        try {
            return trees.forPass(settings);
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
