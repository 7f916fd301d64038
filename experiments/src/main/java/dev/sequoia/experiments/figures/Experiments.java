package dev.sequoia.experiments.figures;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Every experiment, in report order. */
public final class Experiments {
    public static final List<Experiment> ALL = List.of(new Scalability(), new Robustness(), new OptimizerFigure(),
            new Offload(), new Exactness());

    private Experiments() {}

    public static Optional<Experiment> byName(String name) {
        return ALL.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    public static String names() {
        return ALL.stream().map(Experiment::name).collect(Collectors.joining(", "));
    }
}
