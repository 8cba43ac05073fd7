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
 * Just enough of a C header parser to read function prototypes out of OpenBLAS's {@code cblas.h}
 * and turn them into the {@link FunctionDescriptor}s a correct binding must use on x86-64 Linux.
 * Handles comments, object-like {@code #define}s of one token ({@code OPENBLAS_CONST},
 * {@code CBLAS_INDEX}), declarations over several lines, {@code const}, {@code enum} tags,
 * {@code typedef enum}s and their aliases, and any level of pointer.
 */
final class CHeader {
    /** A parsed prototype; types are normalised, e.g. {@code "float *"}, {@code "enum CBLAS_ORDER"}. */
    record Prototype(String name, String returnType, List<String> parameterTypes) {}

    private static final Pattern DEFINE = Pattern.compile("^\\s*#\\s*define\\s+(\\w+)\\s+(\\w+)\\s*$");
    private static final Pattern TYPEDEF_ENUM =
            Pattern.compile("typedef\\s+enum\\s+(\\w+)?\\s*\\{([^}]*)\\}\\s*(\\w+)\\s*;");
    private static final Pattern TYPEDEF_ALIAS = Pattern.compile("typedef\\s+(\\w+)\\s+(\\w+)\\s*;");
    private static final Pattern ENUM_CONSTANT = Pattern.compile("(\\w+)\\s*=\\s*(-?\\d+)");
    private static final Set<String> TYPE_WORDS = Set.of("void", "char", "short", "int", "long", "float",
            "double", "signed", "unsigned", "size_t", "blasint", "BLASLONG");

    private final String text;
    private final Map<String, String> macros = new HashMap<>();
    private final Set<String> enumTypes = new HashSet<>();
    private final Map<String, Integer> enumConstants = new LinkedHashMap<>();
    private final ValueLayout blasint;

    private CHeader(String header, String config) {
        this.blasint = config.matches("(?s).*#\\s*define\\s+OPENBLAS_USE64BITINT\\b.*")
                ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT;
        StringBuilder code = new StringBuilder();
        for (String line : stripComments(header).replace("\\\n", " ").split("\n")) {
            if (line.strip().startsWith("#")) {
                Matcher define = DEFINE.matcher(line);
                if (define.matches()) {
                    macros.put(define.group(1), define.group(2));
                }
            } else {
                code.append(line).append(' ');
            }
        }
        this.text = code.toString().replaceAll("\\s+", " ");
        Matcher typedef = TYPEDEF_ENUM.matcher(text);
        while (typedef.find()) {
            if (typedef.group(1) != null) {
                enumTypes.add(typedef.group(1));
            }
            enumTypes.add(typedef.group(3));
            Matcher constant = ENUM_CONSTANT.matcher(typedef.group(2));
            while (constant.find()) {
                enumConstants.put(constant.group(1), Integer.parseInt(constant.group(2)));
            }
        }
        Matcher alias = TYPEDEF_ALIAS.matcher(text);
        while (alias.find()) {
            if (enumTypes.contains(alias.group(1))) {
                enumTypes.add(alias.group(2));
            }
        }
    }

    /** @param config the text of {@code openblas_config.h}, which decides what {@code blasint} is */
    static CHeader parse(String header, String config) {
        return new CHeader(header, config);
    }

    /** The layout of {@code blasint}: {@code int} unless {@code OPENBLAS_USE64BITINT} is defined. */
    ValueLayout blasintLayout() {
        return blasint;
    }

    /** Every {@code name = value} inside a {@code typedef enum}. */
    Map<String, Integer> enumConstants() {
        return enumConstants;
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
            if (!list.isEmpty() && !normalise(list).equals("void")) {
                for (String parameter : list.split(",")) {
                    parameters.add(normalise(parameter));
                }
            }
            Prototype p = new Prototype(name, normalise(m.group(1)), parameters);
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
        if (type.endsWith("*") || type.endsWith("]")) {
            return Optional.of(ValueLayout.ADDRESS);
        }
        String base = type.replace("enum ", "");
        if (enumTypes.contains(base)) {
            return Optional.of(ValueLayout.JAVA_INT);
        }
        return switch (base) {
            case "void" -> Optional.empty();
            case "char", "signed char", "unsigned char" -> Optional.of(ValueLayout.JAVA_BYTE);
            case "int", "signed int", "unsigned int", "unsigned" -> Optional.of(ValueLayout.JAVA_INT);
            case "long", "unsigned long", "long long", "size_t", "BLASLONG" -> Optional.of(ValueLayout.JAVA_LONG);
            case "float" -> Optional.of(ValueLayout.JAVA_FLOAT);
            case "double" -> Optional.of(ValueLayout.JAVA_DOUBLE);
            case "blasint" -> Optional.of(blasint);
            default -> throw new IllegalArgumentException("unknown C type '" + type + "'");
        };
    }

    /**
     * One declarator's type without qualifiers or parameter name: macros expanded, {@code const}
     * dropped, pointers written as a trailing {@code " *"} each (arrays as {@code "[]"}).
     */
    private String normalise(String declaration) {
        List<String> words = new ArrayList<>();
        int pointers = 0;
        boolean array = declaration.contains("[");
        Matcher token = Pattern.compile("\\w+|\\*").matcher(declaration.replaceAll("\\[[^]]*]", ""));
        while (token.find()) {
            String t = macros.getOrDefault(token.group(), token.group());
            if (t.equals("*")) {
                pointers++;
            } else if (!t.equals("const") && !t.equals("volatile") && !t.equals("extern")) {
                words.add(t);
            }
        }
        // A last word that follows a type and is neither a type word, a known typedef nor an enum
        // tag is the parameter's name.
        if (words.size() > 1) {
            String last = words.get(words.size() - 1);
            String before = words.get(words.size() - 2);
            if (!TYPE_WORDS.contains(last) && !enumTypes.contains(last) && !before.equals("enum")) {
                words.remove(words.size() - 1);
            }
        }
        return String.join(" ", words) + (pointers > 0 ? " " + "*".repeat(pointers) : "") + (array ? "[]" : "");
    }

    private static String stripComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
    }
}
