package dev.zerograd.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The hand-written reader and writer of safetensors header JSON: escapes, strictness, error positions. */
class HeaderJsonTest {
    private static final String T = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    private static HeaderJson.Parsed parse(String text) throws SafeTensorsException {
        return HeaderJson.parse(text, "test");
    }

    @Test
    void parsesTensorsMetadataAndAnyFieldOrderOrWhitespace() throws SafeTensorsException {
        HeaderJson.Parsed p = parse(" \t\r\n{ \"__metadata__\" : { \"format\" : \"pt\" , \"k\":\"\" } ,\n"
                + "  \"w\" : { \"shape\" : [ 3 , 4 ] , \"data_offsets\" : [ 0 , 48 ] , \"dtype\" : \"F32\" },"
                + "\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[48,56]} }    ");
        assertEquals(Map.of("format", "pt", "k", ""), p.metadata());
        assertEquals(List.of("format", "k"), List.copyOf(p.metadata().keySet()));
        assertEquals(2, p.entries().size());
        HeaderJson.RawEntry w = p.entries().get(0);
        assertEquals("w", w.name());
        assertEquals("F32", w.dtype());
        assertArrayEquals(new long[] {3, 4}, w.shape());
        assertArrayEquals(new long[] {0, 48}, w.offsets());
        assertArrayEquals(new long[0], p.entries().get(1).shape());
    }

    @Test
    void emptyHeaderHasNoTensorsAndNoMetadata() throws SafeTensorsException {
        HeaderJson.Parsed p = parse("{}");
        assertTrue(p.entries().isEmpty());
        assertNull(p.metadata());
        assertTrue(parse("{\"__metadata__\":{}}").metadata().isEmpty());
    }

    @Test
    void decodesEveryEscapeInNames() throws SafeTensorsException {
        String json = "{\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\u00C9\\ud83d\\ude00\\u0000 é😀\":" + T + "}";
        assertEquals("a\"b\\c/d\b\f\n\r\t\u00e9\u00c9\ud83d\ude00\u0000 é😀", parse(json).entries().get(0).name());
    }

    @Test
    void writesEscapesAsSerdeJsonDoes() {
        StringBuilder sb = new StringBuilder();
        HeaderJson.writeString(sb, "q\"b\\s/n\nt\tc\u0001\u001f\u007f é😀\b\f\r");
        assertEquals("\"q\\\"b\\\\s/n\\nt\\tc\\u0001\\u001f\u007f é😀\\b\\f\\r\"", sb.toString());
    }

    @Test
    void formatsCompactlyWithMetadataFirst() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        String text = HeaderJson.format(List.of(new HeaderJson.RawEntry("w\"1", "BF16", new long[] {2, 3}, new long[] {0, 12}),
                new HeaderJson.RawEntry("s", "I32", new long[0], new long[] {12, 16})), meta);
        assertEquals("{\"__metadata__\":{\"format\":\"pt\"},\"w\\\"1\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,12]},"
                + "\"s\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[12,16]}}", text);
        assertEquals("{}", HeaderJson.format(List.of(), Map.of()));
    }

    @Provide
    Arbitrary<String> anyText() {
        // Any valid Unicode: code points of every plane but the surrogates, biased towards ASCII and controls.
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(0, 0x7F)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0x80, 0x10FFFF)
                        .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)));
        return codePoint.list().ofMaxSize(24)
                .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
    }

    @Property(tries = 200)
    void anyNameAndMetadataRoundTrip(@ForAll("anyText") String name, @ForAll("anyText") String key,
                                     @ForAll("anyText") String value) throws SafeTensorsException {
        String tensorName = name.equals(HeaderJson.METADATA_KEY) ? name + "x" : name;
        HeaderJson.Parsed p = parse(HeaderJson.format(
                List.of(new HeaderJson.RawEntry(tensorName, "F16", new long[] {1, 0}, new long[] {0, 0})), Map.of(key, value)));
        assertEquals(tensorName, p.entries().get(0).name());
        assertEquals(Map.of(key, value), p.metadata());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            ``                                                                 | at character 0: expected '{' to open the header object, found the end of the header
            `[]`                                                               | at character 0: expected '{' to open the header object, found '['
            `{'a':1}`                                                          | at character 1: expected '"' to start a tensor name, found '''
            `{"a"}`                                                            | at character 4: expected ':' after the key "a", found '}'
            `{"a":TT`                                                          | at character 53: expected ',' or '}' in the header object, found the end of the header
            `{"a":TT,}`                                                        | at character 54: expected '"' to start a tensor name, found '}'
            `{"a":TT,"a":TT}`                                                  | at character 54: duplicate key "a" (safetensors forbids duplicate keys)
            `{"a":TT} x`                                                       | at character 55: unexpected 'x' after the header object
            `{"a":TT}{}`                                                       | at character 54: unexpected '{' after the header object
            `{"a":5}`                                                          | tensor "a": expected an object {"dtype", "shape", "data_offsets"}, found '5'
            `{"a":{"dtype":"F32","dtype":"F32"}}`                              | at character 20: tensor "a": duplicate field "dtype"
            `{"a":{"dtype":"F32","shape":[],"shape":[]}}`                      | at character 31: tensor "a": duplicate field "shape"
            `{"a":{"dtype":"F32","size":[]}}`                                  | tensor "a": unknown field "size"
            `{"a":{"dtype":"F32","shape":[2]}}`                                | tensor "a" lacks the field "data_offsets"
            `{"a":{}}`                                                         | tensor "a" lacks the field "dtype"
            `{"a":{"dtype":32}}`                                               | tensor "a": "dtype" must be a string, found '3'
            `{"a":{"shape":"2"}}`                                              | tensor "a" "shape" must be an array of non-negative integers, found '"'
            `{"a":{"shape":[-1]}}`                                             | "shape": expected a non-negative integer without fraction or exponent, found -1
            `{"a":{"shape":[1.5]}}`                                            | found 1.5
            `{"a":{"shape":[1e3]}}`                                            | found 1e3
            `{"a":{"shape":[01]}}`                                             | a JSON number has no leading zeros, found "01"
            `{"a":{"shape":[1.]}}`                                             | malformed number "1."
            `{"a":{"shape":[-]}}`                                              | malformed number
            `{"a":{"shape":[1,]}}`                                             | "shape": expected a non-negative integer, found ']'
            `{"a":{"shape":[1 2]}}`                                            | expected ',' or ']' in tensor "a" "shape", found '2'
            `{"a":{"shape":[true]}}`                                           | expected a non-negative integer, found 't'
            `{"a":{"shape":[99999999999999999999]}}`                           | integer 99999999999999999999 is too large
            `{"a":{"data_offsets":[0,4,8]}}`                                   | "data_offsets" must be [begin, end], found 3 numbers [0, 4, 8]
            `{"a":{"data_offsets":[0]}}`                                       | found 1 numbers [0]
            `{"__metadata__":[]}`                                              | "__metadata__" must be an object of string values, found '['
            `{"__metadata__":{"k":1}}`                                         | "__metadata__" value of "k" must be a string, found '1'
            `{"__metadata__":{"k":null}}`                                      | found 'n'
            `{"__metadata__":{"k":"v","k":"w"}}`                               | at character 25: duplicate key "k" in "__metadata__"
            `{"__metadata__":{},"__metadata__":{}}`                            | duplicate key "__metadata__"
            `{"a`                                                              | at character 1: unterminated string starting here
            `{"a\\`                                                            | unterminated string starting here
            `{"a\\x":TT}`                                                      | at character 3: invalid escape
            `{"a\\u12g4":TT}`                                                  | \\u escape needs 4 hex digits, found "12g4"
            `{"a\\u12":TT}`                                                    | \\u escape needs 4 hex digits
            `{"a\\ud800":TT}`                                                  | lone surrogate escape \\ud800 (not followed by a low surrogate)
            `{"a\\udc00":TT}`                                                  | lone surrogate escape \\udc00 (not preceded by a high surrogate)
            `{"a\\ud800\\u0041":TT}`                                           | escape \\ud800 is a high surrogate followed by \\u0041, not a low surrogate
            """)
    void rejectsMalformedHeaders(String json, String expected) {
        String text = json == null ? "" : json.replace("TT", T);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> parse(text), text);
        assertTrue(e.getMessage().startsWith("test: malformed header JSON at character "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
    }

    @Test
    void rejectsRawControlCharactersInStrings() {
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> parse("{\"a\nb\":" + T + "}"));
        assertTrue(e.getMessage().contains("at character 3: control character U+000A must be escaped"), e.getMessage());
        e = assertThrows(SafeTensorsException.class, () -> parse("{\u0000}"));
        assertTrue(e.getMessage().contains("found character U+0000"), e.getMessage());
    }
}
