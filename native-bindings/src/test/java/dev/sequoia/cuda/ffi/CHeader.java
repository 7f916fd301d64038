package dev.sequoia.cuda.ffi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough of a C preprocessor and declaration reader to check our bindings against NVIDIA's headers:
 * conditionals ({@code #if defined(X) || ...}, {@code #ifdef}, {@code #elif}, {@code #else}), object-like and
 * function-like macros (so {@code #define cuMemAlloc cuMemAlloc_v2}, {@code __CUDA_API_PTSZ(api) api} and
 * {@code CUDAAPI} expand as a compiler on LP64 Linux would see them), typedefs, enums and function
 * prototypes. Not a general C parser; it fails loudly on what it does not understand in a prototype.
 */
final class CHeader {
    /** How a C type is passed on x86-64 Linux, in the terms a {@code FunctionDescriptor} can express. */
    enum Kind { PTR, I8, I16, I32, I64, F32, F64, VOID }

    /** A declared function: its return type and parameter types as written (names stripped). */
    record Prototype(String name, String returnType, List<String> paramTypes, String text) {}

    private final Set<String> defined = new HashSet<>(Set.of("__LP64__", "__GNUC__", "__linux__", "__x86_64__"));
    private final Map<String, String> objectMacros = new HashMap<>();
    private final Map<String, String[]> functionMacros = new HashMap<>(); // name -> {params, body}
    private final Map<String, String> typedefs = new HashMap<>();          // name -> underlying type text
    private final Map<String, Long> enumerators = new LinkedHashMap<>();
    private final Map<String, Prototype> prototypes = new LinkedHashMap<>();
    private final StringBuilder code = new StringBuilder();

    /** Reads {@code files} in order (later ones see the earlier ones' macros and typedefs). */
    static CHeader parse(List<Path> files) throws IOException {
        CHeader h = new CHeader();
        for (Path f : files) h.preprocess(Files.readString(f));
        h.readDeclarations(h.expand(h.code.toString()));
        return h;
    }

    Map<String, Prototype> prototypes() { return prototypes; }

    /** An integer constant: an enumerator or a numeric object-like macro; null when unknown. */
    Long constant(String name) {
        if (enumerators.containsKey(name)) return enumerators.get(name);
        String m = objectMacros.get(name);
        return m == null ? null : parseInt(m.trim());
    }

    // ---- preprocessing ----

    private void preprocess(String text) {
        text = text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", "").replace("\\\n", " ");
        Deque<boolean[]> stack = new ArrayDeque<>(); // {active now, some branch taken, parent active}
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            boolean active = stack.isEmpty() || stack.peek()[0];
            if (!line.startsWith("#")) {
                if (active) code.append(line).append('\n');
                continue;
            }
            String d = line.substring(1).strip();
            String word = d.split("[\\s(]", 2)[0];
            String rest = d.substring(word.length()).strip();
            switch (word) {
                case "if" -> push(stack, active, eval(rest));
                case "ifdef" -> push(stack, active, isDefined(rest));
                case "ifndef" -> push(stack, active, !isDefined(rest));
                case "elif" -> {
                    boolean[] top = stack.peek();
                    boolean take = top[2] && !top[1] && eval(rest);
                    top[0] = take;
                    top[1] |= take;
                }
                case "else" -> {
                    boolean[] top = stack.peek();
                    top[0] = top[2] && !top[1];
                    top[1] = true;
                }
                case "endif" -> stack.pop();
                case "define" -> { if (active) define(rest); }
                case "undef" -> { if (active) undefine(rest.strip()); }
                default -> { } // include, pragma, error in inactive branches, line
            }
        }
    }

    private static void push(Deque<boolean[]> stack, boolean parentActive, boolean cond) {
        boolean take = parentActive && cond;
        stack.push(new boolean[]{take, take, parentActive});
    }

    private boolean isDefined(String name) {
        String n = name.strip();
        return defined.contains(n) || objectMacros.containsKey(n) || functionMacros.containsKey(n);
    }

    private void define(String rest) {
        Matcher fn = Pattern.compile("(\\w+)\\(([^)]*)\\)\\s*(.*)").matcher(rest);
        if (fn.matches()) {
            functionMacros.put(fn.group(1), new String[]{fn.group(2), fn.group(3)});
            return;
        }
        String[] parts = rest.split("\\s+", 2);
        objectMacros.put(parts[0], parts.length > 1 ? parts[1] : "");
    }

    private void undefine(String name) {
        objectMacros.remove(name);
        functionMacros.remove(name);
        defined.remove(name);
    }

    /** Evaluates a #if expression: defined(), !, &&, ||, comparisons, parentheses, integer literals. */
    private boolean eval(String expr) {
        Matcher m = Pattern.compile("defined\\s*\\(\\s*(\\w+)\\s*\\)|defined\\s+(\\w+)").matcher(expr);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String n = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(sb, isDefined(n) ? "1" : "0");
        }
        m.appendTail(sb);
        // Any remaining identifier is a macro's value or 0, as in C.
        Matcher id = Pattern.compile("[A-Za-z_]\\w*").matcher(sb.toString());
        StringBuilder sb2 = new StringBuilder();
        while (id.find()) {
            String v = objectMacros.get(id.group());
            Long n = v == null ? null : parseInt(v.trim());
            id.appendReplacement(sb2, String.valueOf(n == null ? 0 : n));
        }
        id.appendTail(sb2);
        return new IfExpression(sb2.toString()).evaluate() != 0;
    }

    // ---- macro expansion over the kept code ----

    private String expand(String text) {
        StringBuilder out = new StringBuilder();
        Matcher id = Pattern.compile("[A-Za-z_]\\w*").matcher(text);
        int pos = 0;
        while (id.find(pos)) {
            out.append(text, pos, id.start());
            String name = id.group();
            pos = id.end();
            if (objectMacros.containsKey(name)) {
                out.append(expandOnce(objectMacros.get(name), Set.of(name)));
            } else if (functionMacros.containsKey(name) && text.substring(pos).stripLeading().startsWith("(")) {
                int open = text.indexOf('(', pos);
                int close = matchParen(text, open);
                out.append(applyFunctionMacro(name, text.substring(open + 1, close), Set.of()));
                pos = close + 1;
            } else {
                out.append(name);
            }
        }
        out.append(text.substring(pos));
        return out.toString();
    }

    /** Expands {@code body}; names in {@code active} are being expanded already and stay as they are (C's rule). */
    private String expandOnce(String body, Set<String> active) {
        if (active.size() > 16) throw new IllegalStateException("macro expansion too deep at: " + body);
        String s = body;
        for (var e : functionMacros.entrySet()) {
            if (active.contains(e.getKey())) continue;
            Matcher m = Pattern.compile("\\b" + Pattern.quote(e.getKey()) + "\\s*\\(").matcher(s);
            if (m.find()) {
                int close = matchParen(s, m.end() - 1);
                s = s.substring(0, m.start()) + applyFunctionMacro(e.getKey(), s.substring(m.end(), close), active)
                        + s.substring(close + 1);
            }
        }
        Matcher id = Pattern.compile("[A-Za-z_]\\w*").matcher(s);
        StringBuilder sb = new StringBuilder();
        while (id.find()) {
            String n = id.group();
            String r = active.contains(n) ? null : objectMacros.get(n);
            id.appendReplacement(sb, Matcher.quoteReplacement(r == null ? n : expandOnce(r, plus(active, n))));
        }
        id.appendTail(sb);
        return sb.toString();
    }

    private static Set<String> plus(Set<String> active, String name) {
        Set<String> s = new HashSet<>(active);
        s.add(name);
        return s;
    }

    private String applyFunctionMacro(String name, String args, Set<String> active) {
        String[] spec = functionMacros.get(name);
        String[] params = spec[0].split(",");
        String[] values = args.split(",");
        String body = spec[1];
        for (int i = 0; i < params.length && i < values.length; i++) {
            body = body.replaceAll("\\b" + Pattern.quote(params[i].strip()) + "\\b", Matcher.quoteReplacement(values[i].strip()));
        }
        return expandOnce(body.replaceAll("\\s*##\\s*", ""), plus(active, name));
    }

    private static int matchParen(String s, int open) {
        int level = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == '(') level++;
            else if (s.charAt(i) == ')' && --level == 0) return i;
        }
        throw new IllegalStateException("unbalanced parenthesis at: " + s.substring(open, Math.min(s.length(), open + 80)));
    }

    // ---- declarations ----

    private void readDeclarations(String text) {
        String flat = text.replaceAll("\\s+", " ");
        readEnums(flat);
        Matcher td = Pattern.compile("typedef ((?:struct|enum|union) \\w+ ?\\*?|[\\w ]+?\\*?) ?(\\w+) ?;").matcher(flat);
        while (td.find()) typedefs.putIfAbsent(td.group(2), td.group(1).strip());
        Matcher te = Pattern.compile("typedef (?:enum|struct|union) ?\\w* ?\\{[^{}]*\\} ?(\\w+) ?;").matcher(flat);
        while (te.find()) typedefs.putIfAbsent(te.group(1), flat.substring(te.start() + 8, te.start() + 12).equals("enum") ? "int" : "struct");
        Pattern proto = Pattern.compile("((?:const )?\\w+(?: ?\\*)*) ?(\\w+) ?\\(([^()]*)\\)");
        for (String statement : flat.split(";")) {
            String st = statement.substring(Math.max(statement.lastIndexOf('{'), statement.lastIndexOf('}')) + 1).strip();
            Matcher fn = proto.matcher(st);
            if (!fn.matches() || fn.group(1).equals("typedef") || prototypes.containsKey(fn.group(2))) continue;
            List<String> ps = new ArrayList<>();
            String params = fn.group(3).strip();
            if (!params.isEmpty() && !params.equals("void")) {
                for (String p : params.split(",")) ps.add(stripName(p.strip()));
            }
            prototypes.put(fn.group(2), new Prototype(fn.group(2), fn.group(1), List.copyOf(ps), st + ";"));
        }
    }

    private void readEnums(String flat) {
        Matcher en = Pattern.compile("enum ?\\w* ?\\{([^{}]*)\\}").matcher(flat);
        while (en.find()) {
            long next = 0;
            for (String item : en.group(1).split(",")) {
                String it = item.strip();
                if (it.isEmpty()) continue;
                String[] kv = it.split("=", 2);
                String name = kv[0].strip();
                Long value = kv.length == 1 ? Long.valueOf(next) : valueOf(kv[1].strip());
                if (value == null) continue;
                enumerators.putIfAbsent(name, value);
                next = value + 1;
            }
        }
    }

    private Long valueOf(String expr) {
        if (enumerators.containsKey(expr)) return enumerators.get(expr);
        Long n = parseInt(expr);
        if (n != null) return n;
        try {
            return new IfExpression(expr.replaceAll("(?<=\\d)[uUlL]+", "")).evaluate();
        } catch (RuntimeException e) {
            return null;
        }
    }

    static Long parseInt(String s) {
        String t = s.replaceAll("^\\(|\\)$", "").replaceAll("(?i)[ul]+$", "").strip();
        try {
            if (t.startsWith("-")) {
                Long v = parseInt(t.substring(1));
                return v == null ? null : -v;
            }
            if (t.startsWith("0x") || t.startsWith("0X")) return Long.parseLong(t.substring(2), 16);
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** "const void *srcHost" -> "const void *"; "CUdevice dev" -> "CUdevice"; "unsigned int" stays. */
    private static String stripName(String param) {
        String p = param.replaceAll("\\[\\s*\\w*\\s*\\]", "*");
        Matcher m = Pattern.compile("^(.*?[\\s*])(\\w+)$").matcher(p);
        if (m.matches()) {
            String type = m.group(1).strip();
            if (!type.isEmpty() && !type.equals("const") && !type.equals("unsigned") && !type.equals("signed")) return type;
        }
        return p;
    }

    /** The passing kind of a C type, following typedefs. */
    Kind kindOf(String type) {
        String t = type.replace("const ", "").replace("volatile ", "").strip();
        if (t.contains("*")) return Kind.PTR;
        for (int guard = 0; guard < 20; guard++) {
            Kind base = baseKind(t);
            if (base != null) return base;
            String next = typedefs.get(t);
            if (next == null) throw new IllegalArgumentException("unknown C type in a prototype: '" + type + "'");
            if (next.contains("*")) return Kind.PTR;
            if (next.startsWith("enum")) return Kind.I32;
            t = next.replace("const ", "").strip();
        }
        throw new IllegalArgumentException("typedef cycle at " + type);
    }

    private static Kind baseKind(String t) {
        return switch (t) {
            case "void" -> Kind.VOID;
            case "char", "signed char", "unsigned char", "int8_t", "uint8_t" -> Kind.I8;
            case "short", "unsigned short", "int16_t", "uint16_t" -> Kind.I16;
            case "int", "unsigned int", "unsigned", "signed int", "int32_t", "uint32_t" -> Kind.I32;
            case "long", "unsigned long", "long long", "unsigned long long", "int64_t", "uint64_t", "size_t" -> Kind.I64;
            case "float" -> Kind.F32;
            case "double" -> Kind.F64;
            default -> null;
        };
    }
}
