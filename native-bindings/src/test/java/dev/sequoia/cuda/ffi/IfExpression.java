package dev.sequoia.cuda.ffi;

/**
 * Evaluates the integer expressions of {@code #if} lines and enumerator initialisers, once identifiers are
 * replaced by numbers: {@code || && ! == != < <= > >= << >> | & + - ( )} and decimal/hex literals.
 */
final class IfExpression {
    private final String s;
    private int pos;

    IfExpression(String text) {
        this.s = text.replaceAll("(?<=[0-9a-fA-F])[uUlL]+\\b", "");
    }

    long evaluate() {
        long v = or();
        skip();
        if (pos != s.length()) throw new IllegalArgumentException("cannot evaluate '" + s + "' at " + pos);
        return v;
    }

    private long or() {
        long v = and();
        while (eat("||")) v = (and() != 0 | v != 0) ? 1 : 0;
        return v;
    }

    private long and() {
        long v = bitOr();
        while (eat("&&")) v = (bitOr() != 0 & v != 0) ? 1 : 0;
        return v;
    }

    private long bitOr() {
        long v = bitAnd();
        while (peek("|") && !peek("||")) { eat("|"); v |= bitAnd(); }
        return v;
    }

    private long bitAnd() {
        long v = equality();
        while (peek("&") && !peek("&&")) { eat("&"); v &= equality(); }
        return v;
    }

    private long equality() {
        long v = relation();
        while (true) {
            if (eat("==")) v = v == relation() ? 1 : 0;
            else if (eat("!=")) v = v != relation() ? 1 : 0;
            else return v;
        }
    }

    private long relation() {
        long v = shift();
        while (true) {
            if (eat("<=")) v = v <= shift() ? 1 : 0;
            else if (eat(">=")) v = v >= shift() ? 1 : 0;
            else if (peek("<") && !peek("<<")) { eat("<"); v = v < shift() ? 1 : 0; }
            else if (peek(">") && !peek(">>")) { eat(">"); v = v > shift() ? 1 : 0; }
            else return v;
        }
    }

    private long shift() {
        long v = additive();
        while (true) {
            if (eat("<<")) v <<= additive();
            else if (eat(">>")) v >>= additive();
            else return v;
        }
    }

    private long additive() {
        long v = unary();
        while (true) {
            if (eat("+")) v += unary();
            else if (eat("-")) v -= unary();
            else return v;
        }
    }

    private long unary() {
        if (eat("!")) return unary() == 0 ? 1 : 0;
        if (eat("-")) return -unary();
        if (eat("~")) return ~unary();
        if (eat("(")) {
            long v = or();
            if (!eat(")")) throw new IllegalArgumentException("missing ) in '" + s + "'");
            return v;
        }
        skip();
        int start = pos;
        if (s.startsWith("0x", pos) || s.startsWith("0X", pos)) {
            pos += 2;
            while (pos < s.length() && Character.digit(s.charAt(pos), 16) >= 0) pos++;
            return Long.parseLong(s.substring(start + 2, pos), 16);
        }
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) pos++;
        if (start == pos) throw new IllegalArgumentException("expected a number in '" + s + "' at " + pos);
        return Long.parseLong(s.substring(start, pos));
    }

    private boolean peek(String token) {
        skip();
        return s.startsWith(token, pos);
    }

    private boolean eat(String token) {
        if (!peek(token)) return false;
        pos += token.length();
        return true;
    }

    private void skip() {
        while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
    }
}
