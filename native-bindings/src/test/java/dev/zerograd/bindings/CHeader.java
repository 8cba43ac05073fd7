package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough of a C header parser to read function prototypes, enums and typedefs out of the
 * headers zerograd binds ({@code cblas.h}; {@code cuda_runtime_api.h} with {@code driver_types.h};
 * {@code cublas_api.h}) and turn the prototypes into the {@link FunctionDescriptor}s a correct
 * binding must use on x86-64 Linux (LP64).
 *
 * <p>It handles comments, string literals, object-like {@code #define}s of one token
 * ({@code OPENBLAS_CONST}, {@code CBLAS_INDEX}), the attribute macros a {@link Dialect} names
 * ({@code __host__}, {@code CUBLASWINAPI}, CUDA's default-argument macro {@code __dv(0)}),
 * declarations over several lines, {@code const}, {@code enum} tags, {@code enum}s with or without
 * {@code typedef} and with explicit (decimal, hex) or implicit values, {@code typedef}s of any type
 * including opaque pointers ({@code cudaStream_t}), and any level of pointer.
 *
 * <p>It does not evaluate {@code #if}: every branch is read. Where branches declare a function, a
 * typedef or an enum constant differently, using it fails instead of guessing; a {@link Dialect}
 * settles a typedef that depends on configuration ({@code blasint}). Anything it does not
 * understand (an unknown type, a struct passed by value, an undeclared function) fails loudly.
 */
final class CHeader {
    /** A parsed prototype; types are normalised, e.g. {@code "float *"}, {@code "enum CBLAS_ORDER"}. */
    record Prototype(String name, String returnType, List<String> parameterTypes) {}

    /**
     * How one family of headers is read.
     *
     * @param attributes         macros that a C compiler on LP64 Linux expands to nothing, an
     *                           attribute or a calling convention: dropped wherever they appear
     * @param attributeFunctions function-like macros of that kind, dropped with their arguments
     * @param typedefs           types the caller defines, winning over the headers' own definitions
     *                           (which may depend on a configuration this parser does not evaluate)
     */
    record Dialect(Set<String> attributes, Set<String> attributeFunctions, Map<String, String> typedefs) {
        static final Dialect PLAIN = new Dialect(Set.of(), Set.of(), Map.of());
    }

    private static final Pattern DEFINE = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)(\\()?\\s*(.*?)\\s*$");
    private static final Pattern ENUM = Pattern.compile(
            "\\b(typedef\\s+)?enum\\b\\s*(?:(\\w+)\\s*)?\\{([^}]*)\\}\\s*(\\w+)?\\s*;");
    private static final Pattern ENUMERATOR = Pattern.compile("(\\w+)\\s*(?:=\\s*(.+))?");
    private static final Pattern INTEGER = Pattern.compile("(-?)\\s*(0[xX][0-9a-fA-F]+|\\d+)[uUlL]*");
    private static final Pattern TYPEDEF = Pattern.compile("\\btypedef\\s+([^;{}()]*?[\\s*])(\\w+)\\s*;");
    private static final Set<String> TYPE_WORDS = Set.of("void", "char", "short", "int", "long", "float",
            "double", "signed", "unsigned", "size_t", "ssize_t", "int8_t", "uint8_t", "int16_t", "uint16_t",
            "int32_t", "uint32_t", "int64_t", "uint64_t");
    private static final Set<String> QUALIFIERS = Set.of("const", "volatile", "extern", "restrict", "__restrict");
    private static final Set<String> TAG_KEYWORDS = Set.of("enum", "struct", "union");

    private final String text;
    /** Object-like macros whose body is one word: expanded inside types. */
    private final Map<String, String> wordMacros = new HashMap<>();
    /** Every object-like macro's bodies, one per definition found (branches of #if included). */
    private final Map<String, List<String>> defines = new HashMap<>();
    private final Set<String> enumTypes = new HashSet<>();
    private final Map<String, Integer> enumConstants = new LinkedHashMap<>();
    private final Set<String> conflictingConstants = new HashSet<>();
    private final Map<String, String> typedefs = new HashMap<>();
    private final Map<String, String> conflictingTypedefs = new HashMap<>();

    private CHeader(Dialect dialect, List<String> sources) {
        StringBuilder code = new StringBuilder();
        for (String source : sources) {
            for (String line : stripComments(source).replace("\\\n", " ").split("\n")) {
                if (line.strip().startsWith("#")) {
                    readDefine(line);
                } else {
                    code.append(line).append(' ');
                }
            }
        }
        String t = code.toString().replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ");
        for (String function : dialect.attributeFunctions()) {
            t = t.replaceAll("\\b" + Pattern.quote(function) + "\\s*\\((?:[^()]|\\([^()]*\\))*\\)", " ");
        }
        for (String attribute : dialect.attributes()) {
            t = t.replaceAll("\\b" + Pattern.quote(attribute) + "\\b", " ");
        }
        this.text = t.replaceAll("\\s+", " ");
        readEnums();
        readTypedefs();
        typedefs.putAll(dialect.typedefs());
        conflictingTypedefs.keySet().removeAll(dialect.typedefs().keySet());
    }

    /** Reads {@code sources} in order, as if each were included after the one before. */
    static CHeader parse(Dialect dialect, String... sources) {
        return new CHeader(dialect, List.of(sources));
    }

    /**
     * OpenBLAS's {@code cblas.h}.
     *
     * @param config the text of {@code openblas_config.h}, which decides what {@code blasint} is:
     *               {@code int} unless {@code OPENBLAS_USE64BITINT} is defined
     */
    static CHeader parseCblas(String header, String config) {
        boolean ilp64 = config.matches("(?s).*#\\s*define\\s+OPENBLAS_USE64BITINT\\b.*");
        return parse(new Dialect(Set.of(), Set.of(), Map.of("blasint", ilp64 ? "long" : "int", "BLASLONG", "long")),
                header);
    }

    private void readDefine(String line) {
        Matcher define = DEFINE.matcher(line);
        if (!define.matches() || define.group(2) != null) {
            return; // not a #define, or a function-like macro
        }
        String body = define.group(3);
        defines.computeIfAbsent(define.group(1), k -> new ArrayList<>()).add(body);
        if (body.matches("\\w+")) {
            wordMacros.put(define.group(1), body);
        }
    }

    private void readEnums() {
        Matcher m = ENUM.matcher(text);
        while (m.find()) {
            if (m.group(2) != null) {
                enumTypes.add(m.group(2));
            }
            if (m.group(1) != null && m.group(4) != null) {
                enumTypes.add(m.group(4));
            }
            Long next = 0L;
            for (String item : m.group(3).split(",")) {
                Matcher e = ENUMERATOR.matcher(item.strip());
                if (item.isBlank() || !e.matches()) {
                    continue;
                }
                Long value = e.group(2) == null ? next : constantValue(e.group(2).strip());
                if (value != null && value == value.intValue()) {
                    putConstant(e.group(1), value.intValue());
                }
                next = value == null ? null : value + 1;
            }
        }
    }

    /** An integer literal or an enum constant read before; null for anything else. */
    private Long constantValue(String expression) {
        Matcher literal = INTEGER.matcher(expression);
        if (literal.matches()) {
            long magnitude = Long.decode(literal.group(2));
            return literal.group(1).isEmpty() ? magnitude : -magnitude;
        }
        if (enumConstants.containsKey(expression) && !conflictingConstants.contains(expression)) {
            return (long) enumConstants.get(expression);
        }
        return null;
    }

    private void putConstant(String name, int value) {
        Integer before = enumConstants.putIfAbsent(name, value);
        if (before != null && before != value) {
            conflictingConstants.add(name);
        }
    }

    private void readTypedefs() {
        Matcher m = TYPEDEF.matcher(text);
        while (m.find()) {
            String name = m.group(2);
            String type = normalise(m.group(1), false);
            String before = typedefs.putIfAbsent(name, type);
            if (before != null && !before.equals(type)) {
                conflictingTypedefs.put(name, before + "' and '" + type);
            }
        }
    }

    /** Every {@code name = value} of every {@code enum} read, except those defined differently twice. */
    Map<String, Integer> enumConstants() {
        Map<String, Integer> unambiguous = new LinkedHashMap<>(enumConstants);
        unambiguous.keySet().removeAll(conflictingConstants);
        return unambiguous;
    }

    /** The value of one enum constant; fails when it is absent or defined differently twice. */
    int enumConstant(String name) {
        if (conflictingConstants.contains(name)) {
            throw new IllegalStateException(name + " has different values in different places of the headers");
        }
        Integer value = enumConstants.get(name);
        if (value == null) {
            throw new IllegalArgumentException(name + " is not an enum constant of the headers");
        }
        return value;
    }

    /** The bodies of every object-like {@code #define name ...} found; empty when there is none. */
    List<String> defines(String name) {
        return defines.getOrDefault(name, List.of());
    }

    /** The declaration of {@code name}; fails when it is absent or declared twice differently. */
    Prototype prototype(String name) {
        Pattern declaration = Pattern.compile("(?:^|[;{}])\\s*([^;{}()]*?)\\b" + Pattern.quote(name)
                + "\\s*\\(([^()]*)\\)\\s*;");
        Matcher m = declaration.matcher(text);
        Prototype found = null;
        while (m.find()) {
            List<String> parameters = new ArrayList<>();
            String list = m.group(2).strip();
            if (!list.isEmpty() && !normalise(list, true).equals("void")) {
                for (String parameter : list.split(",")) {
                    parameters.add(normalise(parameter, true));
                }
            }
            Prototype p = new Prototype(name, normalise(m.group(1), false), parameters);
            if (found != null && !found.equals(p)) {
                throw new IllegalStateException(name + " is declared twice: " + found + " and " + p);
            }
            found = p;
        }
        if (found == null) {
            throw new IllegalArgumentException(name + " is not declared in the header");
        }
        return found;
    }

    /** The descriptor a binding of {@code p} must have on LP64 Linux. */
    FunctionDescriptor descriptor(Prototype p) {
        MemoryLayout[] arguments = new MemoryLayout[p.parameterTypes().size()];
        for (int i = 0; i < arguments.length; i++) {
            arguments[i] = layout(p.parameterTypes().get(i))
                    .orElseThrow(() -> new IllegalArgumentException(p.name() + ": void parameter"));
        }
        Optional<MemoryLayout> result = layout(p.returnType());
        return result.isPresent() ? FunctionDescriptor.of(result.get(), arguments) : FunctionDescriptor.ofVoid(arguments);
    }

    /** Each difference between the header's descriptor and a binding's, as a readable line. */
    static List<String> mismatches(String name, FunctionDescriptor header, FunctionDescriptor binding) {
        List<String> problems = new ArrayList<>();
        if (!header.returnLayout().equals(binding.returnLayout())) {
            problems.add(name + ": return " + header.returnLayout() + " in the header, "
                    + binding.returnLayout() + " in the binding");
        }
        List<MemoryLayout> expected = header.argumentLayouts();
        List<MemoryLayout> actual = binding.argumentLayouts();
        if (expected.size() != actual.size()) {
            problems.add(name + ": " + expected.size() + " arguments in the header, " + actual.size()
                    + " in the binding");
        }
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            if (!expected.get(i).equals(actual.get(i))) {
                problems.add(name + ": argument " + i + " is " + expected.get(i) + " in the header, "
                        + actual.get(i) + " in the binding");
            }
        }
        return problems;
    }

    /** A C type (already normalised) as a layout; empty for {@code void}. */
    Optional<MemoryLayout> layout(String type) {
        return layout(type, 0);
    }

    private Optional<MemoryLayout> layout(String type, int depth) {
        if (type.endsWith("*") || type.endsWith("]")) {
            return Optional.of(ValueLayout.ADDRESS);
        }
        if (type.startsWith("enum ")) {
            if (!enumTypes.contains(type.substring(5))) {
                throw new IllegalArgumentException("'" + type + "' is not defined in the headers read");
            }
            return Optional.of(ValueLayout.JAVA_INT);
        }
        if (conflictingTypedefs.containsKey(type)) {
            throw new IllegalStateException("typedef " + type + " is defined differently in different places: '"
                    + conflictingTypedefs.get(type) + "'");
        }
        if (typedefs.containsKey(type)) {
            if (depth > 16) {
                throw new IllegalStateException("typedef " + type + " refers to itself");
            }
            return layout(typedefs.get(type), depth + 1);
        }
        if (enumTypes.contains(type)) {
            return Optional.of(ValueLayout.JAVA_INT);
        }
        if (type.startsWith("struct ") || type.startsWith("union ")) {
            throw new IllegalArgumentException("'" + type + "' is passed by value: not supported");
        }
        return switch (type) {
            case "void" -> Optional.empty();
            case "char", "signed char", "unsigned char", "int8_t", "uint8_t" -> Optional.of(ValueLayout.JAVA_BYTE);
            case "short", "short int", "unsigned short", "unsigned short int", "int16_t", "uint16_t" ->
                    Optional.of(ValueLayout.JAVA_SHORT);
            case "int", "signed int", "unsigned int", "signed", "unsigned", "int32_t", "uint32_t" ->
                    Optional.of(ValueLayout.JAVA_INT);
            case "long", "long int", "unsigned long", "unsigned long int", "long long", "long long int",
                    "unsigned long long", "unsigned long long int", "size_t", "ssize_t", "int64_t", "uint64_t" ->
                    Optional.of(ValueLayout.JAVA_LONG);
            case "float" -> Optional.of(ValueLayout.JAVA_FLOAT);
            case "double" -> Optional.of(ValueLayout.JAVA_DOUBLE);
            default -> throw new IllegalArgumentException("unknown C type '" + type + "'");
        };
    }

    /**
     * One declarator's type without qualifiers: one-word macros expanded, {@code const} dropped,
     * pointers written as a trailing {@code " *"} each (arrays as {@code "[]"}); with
     * {@code named}, a parameter's name is dropped too.
     */
    private String normalise(String declaration, boolean named) {
        List<String> words = new ArrayList<>();
        int pointers = 0;
        boolean array = declaration.contains("[");
        Matcher token = Pattern.compile("\\w+|\\*").matcher(declaration.replaceAll("\\[[^]]*]", ""));
        while (token.find()) {
            String t = wordMacros.getOrDefault(token.group(), token.group());
            if (t.equals("*")) {
                pointers++;
            } else if (!QUALIFIERS.contains(t)) {
                words.add(t);
            }
        }
        // A last word that follows a type and is neither a type word, a typedef nor an enum name,
        // and does not follow a tag keyword, is the parameter's name.
        if (named && words.size() > 1) {
            String last = words.get(words.size() - 1);
            String before = words.get(words.size() - 2);
            if (!isTypeName(last) && !TAG_KEYWORDS.contains(before)) {
                words.remove(words.size() - 1);
            }
        }
        return String.join(" ", words) + (pointers > 0 ? " " + "*".repeat(pointers) : "") + (array ? "[]" : "");
    }

    private boolean isTypeName(String word) {
        return TYPE_WORDS.contains(word) || typedefs.containsKey(word) || enumTypes.contains(word);
    }

    private static String stripComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }
}
