package dev.zerograd.nn.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON text of a safetensors header, read and written by hand for exactly its schema:
 *
 * <pre>
 * header   = ws '{' ws [ member ( ws ',' ws member )* ] ws '}' ws
 * member   = string ws ':' ws ( tensor | metadata )      ; metadata only under the key "__metadata__"
 * tensor   = '{' fields "dtype": string, "shape": [uint...], "data_offsets": [uint, uint] in any order '}'
 * metadata = '{' ( string ':' string ),* '}'
 * </pre>
 *
 * <p>Strings, whitespace and numbers follow RFC 8259 strictly (no control characters in strings, no
 * lone surrogate escapes, no leading zeros); integers must be plain non-negative numbers without fraction
 * or exponent that fit a {@code long}. Duplicate keys, unknown tensor fields, missing fields and anything
 * after the closing brace but whitespace are errors, each reported with its character position. The
 * parser is iterative over a fixed nesting depth, so no input can exhaust the stack.
 *
 * <p>The writer produces what the reference implementation (serde_json) produces: no whitespace,
 * {@code __metadata__} first, fields in the order dtype, shape, data_offsets, and only {@code "} and
 * {@code \} and control characters escaped ({@code \b \f \n \r \t}, else <code>&#92;u00xx</code> in lower-case hex).
 */
final class HeaderJson {
    static final String METADATA_KEY = "__metadata__";

    /** One tensor as written in the header, before its values are checked. */
    record RawEntry(String name, String dtype, long[] shape, long[] offsets) {}

    /** The parsed header: tensors in header order, and the metadata (null when absent). */
    record Parsed(List<RawEntry> entries, Map<String, String> metadata) {}

    private final String text;
    private final String source;
    private int pos;

    private HeaderJson(String text, String source) {
        this.text = text;
        this.source = source;
    }

    // ---------------------------------------------------------------- reading

    /**
     * Parses a header's text.
     *
     * @param source names the file in messages
     * @throws SafeTensorsException naming the position and the problem
     */
    static Parsed parse(String text, String source) throws SafeTensorsException {
        return new HeaderJson(text, source).header();
    }

    private Parsed header() throws SafeTensorsException {
        List<RawEntry> entries = new ArrayList<>();
        Map<String, String> metadata = null;
        Set<String> keys = new HashSet<>();
        skipWhitespace();
        expect('{', "to open the header object");
        skipWhitespace();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                int keyAt = pos;
                String key = string("a tensor name");
                if (!keys.add(key)) {
                    throw error(keyAt, "duplicate key " + quote(key) + " (safetensors forbids duplicate keys)");
                }
                skipWhitespace();
                expect(':', "after the key " + quote(key));
                skipWhitespace();
                if (key.equals(METADATA_KEY)) {
                    metadata = metadata();
                } else {
                    entries.add(tensor(key));
                }
                skipWhitespace();
                if (!endOfMembers("header object")) {
                    break;
                }
            }
        }
        skipWhitespace();
        if (pos < text.length()) {
            throw error(pos, "unexpected " + found() + " after the header object (only whitespace may follow it)");
        }
        return new Parsed(entries, metadata);
    }

    /** After a member: true when a ',' leads to another one, false after the closing '}'. */
    private boolean endOfMembers(String what) throws SafeTensorsException {
        char c = peek();
        if (c == ',') {
            pos++;
            skipWhitespace();
            return true;
        }
        if (c == '}') {
            pos++;
            return false;
        }
        throw error(pos, "expected ',' or '}' in the " + what + ", found " + found());
    }

    private RawEntry tensor(String name) throws SafeTensorsException {
        String where = "tensor " + quote(name);
        if (peek() != '{') {
            throw error(pos, where + ": expected an object {\"dtype\", \"shape\", \"data_offsets\"}, found " + found());
        }
        pos++;
        skipWhitespace();
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                int keyAt = pos;
                String field = string("a field name of " + where);
                skipWhitespace();
                expect(':', "after " + quote(field) + " in " + where);
                skipWhitespace();
                switch (field) {
                    case "dtype" -> {
                        if (dtype != null) {
                            throw error(keyAt, where + ": duplicate field \"dtype\"");
                        }
                        if (peek() != '"') {
                            throw error(pos, where + ": \"dtype\" must be a string, found " + found());
                        }
                        dtype = string("the dtype");
                    }
                    case "shape" -> {
                        if (shape != null) {
                            throw error(keyAt, where + ": duplicate field \"shape\"");
                        }
                        shape = integers(where + " \"shape\"");
                    }
                    case "data_offsets" -> {
                        if (offsets != null) {
                            throw error(keyAt, where + ": duplicate field \"data_offsets\"");
                        }
                        int at = pos;
                        offsets = integers(where + " \"data_offsets\"");
                        if (offsets.length != 2) {
                            throw error(at, where + ": \"data_offsets\" must be [begin, end], found " + offsets.length
                                    + " numbers " + Arrays.toString(offsets));
                        }
                    }
                    default -> throw error(keyAt, where + ": unknown field " + quote(field)
                            + " (a tensor has exactly \"dtype\", \"shape\" and \"data_offsets\")");
                }
                skipWhitespace();
                if (!endOfMembers("object of " + where)) {
                    break;
                }
            }
        }
        String missing = dtype == null ? "dtype" : shape == null ? "shape" : offsets == null ? "data_offsets" : null;
        if (missing != null) {
            throw error(pos - 1, where + " lacks the field \"" + missing + "\"");
        }
        return new RawEntry(name, dtype, shape, offsets);
    }

    private Map<String, String> metadata() throws SafeTensorsException {
        if (peek() != '{') {
            throw error(pos, "\"__metadata__\" must be an object of string values, found " + found());
        }
        pos++;
        skipWhitespace();
        Map<String, String> map = new LinkedHashMap<>();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            int keyAt = pos;
            String key = string("a metadata key");
            if (map.containsKey(key)) {
                throw error(keyAt, "duplicate key " + quote(key) + " in \"__metadata__\"");
            }
            skipWhitespace();
            expect(':', "after the metadata key " + quote(key));
            skipWhitespace();
            if (peek() != '"') {
                throw error(pos, "\"__metadata__\" value of " + quote(key) + " must be a string, found " + found());
            }
            map.put(key, string("a metadata value"));
            skipWhitespace();
            if (!endOfMembers("\"__metadata__\" object")) {
                return map;
            }
        }
    }

    /** {@code [uint, ...]}. */
    private long[] integers(String what) throws SafeTensorsException {
        if (peek() != '[') {
            throw error(pos, what + " must be an array of non-negative integers, found " + found());
        }
        pos++;
        skipWhitespace();
        long[] values = new long[4];
        int n = 0;
        if (peek() == ']') {
            pos++;
            return new long[0];
        }
        while (true) {
            if (n == values.length) {
                values = Arrays.copyOf(values, 2 * n);
            }
            values[n++] = unsigned(what);
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') {
                return Arrays.copyOf(values, n);
            }
            if (c != ',') {
                throw error(pos - 1, "expected ',' or ']' in " + what + ", found " + found(pos - 1));
            }
            skipWhitespace();
        }
    }

    /** A JSON number that must be a non-negative integer fitting a long. */
    private long unsigned(String what) throws SafeTensorsException {
        int start = pos;
        char c = peek();
        if (c != '-' && (c < '0' || c > '9')) {
            throw error(pos, what + ": expected a non-negative integer, found " + found());
        }
        // Scan the whole number token by the RFC 8259 grammar first, to report it as written.
        boolean integral = true;
        if (c == '-') {
            integral = false;
            pos++;
        }
        if (peek() == '0') {
            pos++;
            if (isDigit(peek())) {
                throw error(start, what + ": a JSON number has no leading zeros, found " + token(start));
            }
        } else if (isDigit(peek())) {
            while (isDigit(peek())) {
                pos++;
            }
        } else {
            throw error(pos, what + ": malformed number " + token(start));
        }
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) {
                throw error(start, what + ": malformed number " + token(start));
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error(start, what + ": malformed number " + token(start));
            }
            while (isDigit(peek())) {
                pos++;
            }
        }
        String number = text.substring(start, pos);
        if (!integral) {
            throw error(start, what + ": expected a non-negative integer without fraction or exponent, found " + number);
        }
        long v = 0;
        for (int i = 0; i < number.length(); i++) {
            int d = number.charAt(i) - '0';
            if (v > (Long.MAX_VALUE - d) / 10) {
                throw error(start, what + ": integer " + number + " is too large (above " + Long.MAX_VALUE + ")");
            }
            v = 10 * v + d;
        }
        return v;
    }

    private String token(int start) {
        int end = start;
        while (end < text.length() && end - start < 32 && "+-.eE0123456789".indexOf(text.charAt(end)) >= 0) {
            end++;
        }
        return quote(text.substring(start, Math.max(end, Math.min(start + 1, text.length()))));
    }

    /** A JSON string at the current position. */
    private String string(String what) throws SafeTensorsException {
        if (peek() != '"') {
            throw error(pos, "expected '\"' to start " + what + ", found " + found());
        }
        int start = pos;
        pos++;
        StringBuilder sb = null;
        int runStart = pos;
        while (true) {
            if (pos >= text.length()) {
                throw error(start, "unterminated string starting here");
            }
            char c = text.charAt(pos);
            if (c == '"') {
                String s = sb == null ? text.substring(runStart, pos) : sb.append(text, runStart, pos).toString();
                pos++;
                return s;
            }
            if (c < 0x20) {
                throw error(pos, String.format("control character U+%04X must be escaped in a JSON string", (int) c));
            }
            if (c != '\\') {
                pos++;
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder();
            }
            sb.append(text, runStart, pos);
            int escapeAt = pos;
            pos++;
            if (pos >= text.length()) {
                throw error(start, "unterminated string starting here");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    char u = hex4(escapeAt);
                    if (Character.isHighSurrogate(u)) {
                        if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                            int lowAt = pos;
                            pos += 2;
                            char low = hex4(lowAt);
                            if (!Character.isLowSurrogate(low)) {
                                throw error(escapeAt, String.format("escape \\u%04x is a high surrogate followed by \\u%04x,"
                                        + " not a low surrogate", (int) u, (int) low));
                            }
                            sb.append(u).append(low);
                        } else {
                            throw error(escapeAt, String.format("lone surrogate escape \\u%04x (not followed by a low surrogate)", (int) u));
                        }
                    } else if (Character.isLowSurrogate(u)) {
                        throw error(escapeAt, String.format("lone surrogate escape \\u%04x (not preceded by a high surrogate)", (int) u));
                    } else {
                        sb.append(u);
                    }
                }
                default -> throw error(escapeAt, "invalid escape " + quote("\\" + e) + " (JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
            }
            runStart = pos;
        }
    }

    private char hex4(int escapeAt) throws SafeTensorsException {
        if (pos + 4 > text.length()) {
            throw error(escapeAt, "\\u escape needs 4 hex digits");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0 || text.charAt(pos + i) > 'f') {
                throw error(escapeAt, "\\u escape needs 4 hex digits, found " + quote(text.substring(pos, pos + 4)));
            }
            v = (v << 4) | d;
        }
        pos += 4;
        return (char) v;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    /** The current character, or 0 at the end (0 never starts a valid token, and raw 0 is rejected in strings). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : 0;
    }

    private void expect(char c, String why) throws SafeTensorsException {
        if (peek() != c) {
            throw error(pos, "expected '" + c + "' " + why + ", found " + found());
        }
        pos++;
    }

    private String found() {
        return found(pos);
    }

    private String found(int at) {
        if (at >= text.length()) {
            return "the end of the header";
        }
        char c = text.charAt(at);
        return c < 0x20 || c == 0x7F ? String.format("character U+%04X", (int) c) : "'" + c + "'";
    }

    private SafeTensorsException error(int at, String problem) {
        return new SafeTensorsException(source, "malformed header JSON at character " + at + ": " + problem);
    }

    // ---------------------------------------------------------------- writing

    /**
     * The header text of {@code entries} (in this order) and {@code metadata} (in its iteration order; left
     * out when null or empty), without padding.
     */
    static String format(List<RawEntry> entries, Map<String, String> metadata) {
        StringBuilder sb = new StringBuilder(64 + 96 * entries.size());
        sb.append('{');
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            writeString(sb, METADATA_KEY);
            sb.append(":{");
            boolean firstPair = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!firstPair) {
                    sb.append(',');
                }
                firstPair = false;
                writeString(sb, e.getKey());
                sb.append(':');
                writeString(sb, e.getValue());
            }
            sb.append('}');
            first = false;
        }
        for (RawEntry e : entries) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            writeString(sb, e.name());
            sb.append(":{\"dtype\":");
            writeString(sb, e.dtype());
            sb.append(",\"shape\":[");
            for (int i = 0; i < e.shape().length; i++) {
                sb.append(i == 0 ? "" : ",").append(e.shape()[i]);
            }
            sb.append("],\"data_offsets\":[").append(e.offsets()[0]).append(',').append(e.offsets()[1]).append("]}");
        }
        return sb.append('}').toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Appends {@code s} as a JSON string, escaping as serde_json does. */
    static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** {@code "text"} with the escapes of JSON, for messages. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        writeString(sb, s);
        return sb.toString();
    }
}
