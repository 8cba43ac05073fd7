package dev.zerograd.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads a jextract-shaped binding class back, to check it against its header. */
final class Bindings {
    private Bindings() {}

    /** The bound functions, found as jextract's {@code name$descriptor()} accessors. */
    static Map<String, FunctionDescriptor> descriptors(Class<?> binding) {
        Map<String, FunctionDescriptor> bound = new TreeMap<>();
        for (Method m : binding.getDeclaredMethods()) {
            if (m.getName().endsWith("$descriptor") && Modifier.isPublic(m.getModifiers())) {
                try {
                    bound.put(m.getName().replace("$descriptor", ""), (FunctionDescriptor) m.invoke(null));
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(m.toString(), e);
                }
            }
        }
        return bound;
    }

    /** The public {@code static final int} constants whose names start with {@code prefix}. */
    static Map<String, Integer> intConstants(Class<?> binding, String prefix) {
        Map<String, Integer> constants = new TreeMap<>();
        for (Field f : binding.getFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers()) && f.getName().startsWith(prefix)) {
                try {
                    constants.put(f.getName(), f.getInt(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(f.toString(), e);
                }
            }
        }
        return constants;
    }

    /** Every difference between the bound descriptors and the prototypes in {@code header}. */
    static List<String> mismatches(CHeader header, Map<String, FunctionDescriptor> bound) {
        List<String> problems = new ArrayList<>();
        for (var b : bound.entrySet()) {
            try {
                FunctionDescriptor expected = header.descriptor(header.prototype(b.getKey()));
                problems.addAll(CHeader.mismatches(b.getKey(), expected, b.getValue()));
            } catch (IllegalArgumentException | IllegalStateException e) {
                problems.add(b.getKey() + ": " + e.getMessage());
            }
        }
        return problems;
    }

    /** Every constant whose value differs from the header's enum constant of the same name. */
    static List<String> constantMismatches(CHeader header, Map<String, Integer> constants) {
        List<String> problems = new ArrayList<>();
        for (var c : constants.entrySet()) {
            try {
                int expected = header.enumConstant(c.getKey());
                if (expected != c.getValue()) {
                    problems.add(c.getKey() + " is " + expected + " in the header, " + c.getValue()
                            + " in the binding");
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                problems.add(c.getKey() + ": " + e.getMessage());
            }
        }
        return problems;
    }
}
