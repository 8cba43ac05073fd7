package dev.zerograd.nn.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.zerograd.memory.DType;
import dev.zerograd.memory.Tensor;
import dev.zerograd.memory.TensorArena;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files other tools can read, and files other tools wrote: an independent Python reader (the standard
 * library's struct and json, plus NumPy's frombuffer when NumPy is installed) checks a file written here
 * against every rule of the format and against the values it should hold; the same script writes a file
 * the way the reference implementation lays it out (tensors by descending dtype alignment, then name),
 * which is read back here. Skipped when there is no python3.
 */
class SafeTensorsPythonTest {
    private static final String SCRIPT = """
            import json, math, struct, sys

            SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
                     "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}
            # The reference implementation's dtype order (increasing alignment); it writes by descending order, then name.
            ORDER = list(SIZES)
            STRUCT = {"F16": "e", "F32": "f", "F64": "d", "I32": "i", "I64": "q"}
            try:
                import numpy as np
            except ImportError:
                np = None

            def fail(message):
                print("FAIL " + message)
                sys.exit(1)

            def unique(pairs):
                seen = {}
                for key, value in pairs:
                    if key in seen:
                        fail("duplicate key %r" % key)
                    seen[key] = value
                return seen

            def decode(dtype, raw, count):
                if np is not None:
                    if dtype == "BF16":
                        return (np.frombuffer(raw, "<u2").astype("<u4") << 16).view("<f4").astype(float).tolist()
                    kind = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}[dtype]
                    array = np.frombuffer(raw, kind)
                    return array.astype(float if dtype[0] in "FB" else object).tolist()
                if dtype == "BF16":
                    return [struct.unpack("<f", struct.pack("<I", h << 16))[0] for h in struct.unpack("<%dH" % count, raw)]
                return list(struct.unpack("<%d%s" % (count, STRUCT[dtype]), raw))

            def same(a, b):
                if isinstance(a, float) or isinstance(b, float):
                    a, b = float(a), float(b)
                    return (math.isnan(a) and math.isnan(b)) or struct.pack("<d", a) == struct.pack("<d", b)
                return int(a) == int(b)

            def check(path, expected):
                buf = open(path, "rb").read()
                if len(buf) < 8:
                    fail("shorter than the length prefix")
                (n,) = struct.unpack("<Q", buf[:8])
                if n > 100000000 or 8 + n > len(buf):
                    fail("bad header length %d" % n)
                text = buf[8:8 + n].decode("utf-8")
                if not text.startswith("{"):
                    fail("header does not start with {")
                header = json.loads(text, object_pairs_hook=unique)
                data = buf[8 + n:]
                metadata = header.get("__metadata__", {})
                if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
                    fail("metadata values must be strings")
                tensors = {k: v for k, v in header.items() if k != "__metadata__"}
                position = 0
                for name, info in sorted(tensors.items(), key=lambda kv: tuple(kv[1]["data_offsets"])):
                    if set(info) != {"dtype", "shape", "data_offsets"}:
                        fail("fields of %r: %r" % (name, sorted(info)))
                    shape, (begin, end) = info["shape"], info["data_offsets"]
                    if not all(type(d) is int and d >= 0 for d in shape):
                        fail("shape of %r" % name)
                    if begin != position or end < begin:
                        fail("offsets of %r: %r at %d" % (name, info["data_offsets"], position))
                    if end - begin != math.prod(shape) * SIZES[info["dtype"]]:
                        fail("size of %r" % name)
                    position = end
                if position != len(data):
                    fail("tensors cover %d of %d data bytes" % (position, len(data)))
                # What zerograd promises beyond the format: 8-byte alignment, compact JSON, metadata first, name order.
                if n % 8 != 0:
                    fail("header length %d is not a multiple of 8" % n)
                if text.rstrip(" ") != json.dumps(header, separators=(",", ":"), ensure_ascii=False):
                    fail("header is not compact JSON in the expected key order, padded with spaces")
                names = list(tensors)
                if names != sorted(names) or ("__metadata__" in header and list(header)[0] != "__metadata__"):
                    fail("keys not in order: %r" % list(header))
                layout = sorted(tensors, key=lambda name: (-ORDER.index(tensors[name]["dtype"]), name))
                if [tensors[name]["data_offsets"][0] for name in layout] != sorted(t["data_offsets"][0] for t in tensors.values()):
                    fail("data buffer not by descending alignment, then name: %r" % layout)
                for name, t in tensors.items():
                    if (8 + n + t["data_offsets"][0]) % SIZES[t["dtype"]] != 0:
                        fail("%r is not aligned to its element size" % name)
                # The values.
                if metadata != expected["metadata"]:
                    fail("metadata %r != %r" % (metadata, expected["metadata"]))
                if set(tensors) != set(expected["tensors"]):
                    fail("names %r != %r" % (sorted(tensors), sorted(expected["tensors"])))
                for name, want in expected["tensors"].items():
                    info = tensors[name]
                    if info["dtype"] != want["dtype"] or info["shape"] != want["shape"]:
                        fail("%r is %s%r, expected %s%r" % (name, info["dtype"], info["shape"], want["dtype"], want["shape"]))
                    begin, end = info["data_offsets"]
                    got = decode(info["dtype"], data[begin:end], math.prod(info["shape"]))
                    if len(got) != len(want["values"]) or not all(same(a, b) for a, b in zip(got, want["values"])):
                        fail("values of %r: %r != %r" % (name, got, want["values"]))
                print("OK " + ("numpy" if np is not None else "struct"))

            def write(path, spec):
                items = sorted(spec["tensors"].items(), key=lambda kv: (-ORDER.index(kv[1]["dtype"]), kv[0]))
                header, chunks, position = {}, [], 0
                if spec["metadata"]:
                    header["__metadata__"] = spec["metadata"]
                for name, t in items:
                    if t["dtype"] == "BF16":
                        raw = b"".join(struct.pack("<f", v)[2:] for v in t["values"])
                    else:
                        raw = struct.pack("<%d%s" % (len(t["values"]), STRUCT[t["dtype"]]), *t["values"])
                    header[name] = {"dtype": t["dtype"], "shape": t["shape"], "data_offsets": [position, position + len(raw)]}
                    chunks.append(raw)
                    position += len(raw)
                text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                text += b" " * ((8 - len(text) % 8) % 8)
                with open(path, "wb") as f:
                    f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
                print("OK wrote")

            mode, path, expected_path = sys.argv[1:4]
            spec = json.load(open(expected_path, encoding="utf-8"), object_pairs_hook=unique)
            check(path, spec) if mode == "check" else write(path, spec)
            """;

    @TempDir
    Path dir;

    private TensorArena arena;

    @BeforeAll
    static void needsPython() {
        assumeTrue(run(List.of("python3", "-c", "import json, struct")).startsWith("rc=0"), "python3 is not available");
    }

    @BeforeEach
    void open() {
        arena = TensorArena.ofConfined("python-test", 1 << 20);
    }

    @AfterEach
    void close() {
        arena.close();
    }

    /** A tensor with exactly known values: doubles exact in the dtype, or ints. */
    private record Case(String name, DType dtype, long[] shape, double[] floats, long[] ints) {
        static Case floats(String name, DType dtype, long[] shape, double... values) {
            return new Case(name, dtype, shape, values, null);
        }

        static Case ints(String name, DType dtype, long[] shape, long... values) {
            return new Case(name, dtype, shape, null, values);
        }

        int count() {
            return floats != null ? floats.length : ints.length;
        }
    }

    private static final List<Case> CASES = List.of(
            Case.floats("weights/f32", DType.F32, new long[] {2, 4}, (double) 0.1f, -0.0, Double.NaN,
                    Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, (double) 1e-40f, (double) Float.MAX_VALUE, 3.5),
            Case.floats("f64", DType.F64, new long[] {5}, Math.PI, -0.0, Double.MIN_VALUE, 1e308, Double.NaN),
            Case.floats("f16", DType.F16, new long[] {5}, 1.5, -2, 65504, 0x1p-24, 0),
            Case.floats("bf16", DType.BF16, new long[] {2, 2}, 1.5, -256, 0x1p100, -0x1p-100),
            Case.ints("i32", DType.I32, new long[] {4}, Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1),
            Case.ints("i64", DType.I64, new long[] {2, 2}, Long.MIN_VALUE, Long.MAX_VALUE, -1, (1L << 53) + 1),
            Case.floats("scalar", DType.F64, new long[0], 2.5),
            Case.floats("empty", DType.F32, new long[] {0, 3}),
            Case.floats("ünïcödé/😀 \"quoted\"\ttab", DType.F32, new long[] {1}, 7));

    private static final Map<String, String> METADATA = Map.of("format", "pt", "json", "{\"a\": [1]}", "lines", "a\nb\u0001");

    private Tensor tensorOf(Case c) {
        if (c.dtype() == DType.I64) {
            return arena.fromArray(c.ints(), c.shape());
        }
        Tensor t = arena.empty(c.dtype(), c.shape());
        for (int i = 0; i < c.count(); i++) {
            t.setDoubleFlat(i, c.floats() != null ? c.floats()[i] : c.ints()[i]);
        }
        return t;
    }

    /** {"metadata": {...}, "tensors": {name: {"dtype", "shape", "values"}}} for the Python side. */
    private static String expectedJson(List<Case> cases) {
        StringBuilder sb = new StringBuilder("{\"metadata\":{");
        boolean first = true;
        for (Map.Entry<String, String> e : METADATA.entrySet()) {
            sb.append(first ? "" : ",");
            first = false;
            HeaderJson.writeString(sb, e.getKey());
            sb.append(':');
            HeaderJson.writeString(sb, e.getValue());
        }
        sb.append("},\"tensors\":{");
        first = true;
        for (Case c : cases) {
            sb.append(first ? "" : ",");
            first = false;
            HeaderJson.writeString(sb, c.name());
            sb.append(":{\"dtype\":\"").append(SafeTensorsHeader.nameOf(c.dtype())).append("\",\"shape\":[");
            for (int d = 0; d < c.shape().length; d++) {
                sb.append(d == 0 ? "" : ",").append(c.shape()[d]);
            }
            sb.append("],\"values\":[");
            for (int i = 0; i < c.count(); i++) {
                sb.append(i == 0 ? "" : ",").append(c.floats() != null ? Double.toString(c.floats()[i]) : Long.toString(c.ints()[i]));
            }
            sb.append("]}");
        }
        return sb.append("}}").toString();
    }

    private static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "timeout: " + out;
            }
            return "rc=" + p.exitValue() + " " + out;
        } catch (IOException e) {
            return "cannot run " + command.get(0) + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private String python(String mode, Path file, String expected) throws IOException {
        Path script = Files.writeString(dir.resolve("safetensors_check.py"), SCRIPT);
        Path spec = Files.writeString(dir.resolve("expected.json"), expected);
        return run(List.of("python3", script.toString(), mode, file.toString(), spec.toString()));
    }

    @Test
    void pythonReadsWhatZerogradWrites() throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Case c : CASES) {
            tensors.put(c.name(), tensorOf(c));
        }
        // A strided source too: the transpose of a 2x3 matrix is written in its logical (transposed) order.
        Tensor m = arena.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        tensors.put("transposed", m.transpose(0, 1));
        List<Case> expected = new java.util.ArrayList<>(CASES);
        expected.add(Case.floats("transposed", DType.F32, new long[] {3, 2}, 1, 4, 2, 5, 3, 6));

        Path file = dir.resolve("zerograd.safetensors");
        SafeTensors.write(file, tensors, METADATA);
        String out = python("check", file, expectedJson(expected));
        assertTrue(out.startsWith("rc=0 OK"), out);
    }

    @Test
    void zerogradReadsWhatTheReferenceLayoutWrites() throws IOException {
        Path file = dir.resolve("reference.safetensors");
        String out = python("write", file, expectedJson(CASES));
        assertTrue(out.startsWith("rc=0 OK wrote"), out);
        SafeTensorsHeader header = SafeTensors.readHeader(file);
        assertEquals("i64", header.entries().get(0).dtype().toString(), "the reference layout puts 8-byte dtypes first");
        SafeTensors.Contents contents = SafeTensors.read(file, arena);
        assertEquals(METADATA, contents.metadata());
        assertEquals(CASES.size(), contents.tensors().size());
        for (Case c : CASES) {
            Tensor t = contents.tensor(c.name());
            assertEquals(c.dtype(), t.dtype(), c.name());
            assertArrayEquals(c.shape(), t.shape(), c.name());
            for (int i = 0; i < c.count(); i++) {
                if (c.floats() != null) {
                    assertEquals(Double.doubleToLongBits(c.floats()[i]), Double.doubleToLongBits(t.getDoubleFlat(i)), c.name() + "[" + i + "]");
                } else if (c.dtype() == DType.I64) {
                    assertEquals(c.ints()[i], t.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, t.byteOffset() + 8L * i), c.name() + "[" + i + "]");
                } else {
                    assertEquals(c.ints()[i], (long) t.getDoubleFlat(i), c.name() + "[" + i + "]");
                }
            }
        }
    }
}
