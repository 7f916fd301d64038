package dev.sequoia.engine.backend.cuda;

/**
 * One forward pass as the device timed it (CUDA events on the compute stream): its duration, the time the
 * compute stream spent waiting for streamed layers to arrive (the stall), and how many such waits it issued.
 */
public record PassTiming(double passSeconds, double stallSeconds, int waits) {
    public double stallFraction() { return passSeconds > 0 ? stallSeconds / passSeconds : 0; }
}
