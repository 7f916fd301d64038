package dev.sequoia.decode;

/**
 * One speculative step's output: {@code tokens} holds the accepted drafted tokens in order, then the bonus
 * token, so its length is {@code accepted + 1}.
 */
public record StepResult(int[] tokens, int accepted) {
    public int bonusToken() {
        return tokens[tokens.length - 1];
    }
}
