package dev.zerograd.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A text table printed two ways: aligned columns for the terminal and Markdown for the README. */
final class Table {
    private final List<String> headers;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headers) {
        this.headers = List.of(headers);
    }

    void add(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("Table.add: " + cells.length + " cells for " + headers.size() + " columns " + headers);
        }
        rows.add(List.of(cells));
    }

    void print(PrintStream out) {
        int[] w = new int[headers.size()];
        for (int c = 0; c < w.length; c++) {
            w[c] = headers.get(c).length();
            for (List<String> r : rows) {
                w[c] = Math.max(w[c], r.get(c).length());
            }
        }
        line(out, headers, w);
        for (List<String> r : rows) {
            line(out, r, w);
        }
    }

    private static void line(PrintStream out, List<String> cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < w.length; c++) {
            String cell = cells.get(c);
            // The first column (names) reads left-aligned, figures right-aligned.
            b.append(c == 0 ? String.format("%-" + w[c] + "s", cell) : String.format("%" + w[c] + "s", cell));
            b.append(c + 1 < w.length ? "  " : "");
        }
        out.println(b.toString().stripTrailing());
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| ").append(String.join(" | ", headers)).append(" |\n|");
        for (int c = 0; c < headers.size(); c++) {
            b.append(c == 0 ? "---|" : "---:|");
        }
        b.append('\n');
        for (List<String> r : rows) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return b.toString();
    }

    /** Seconds as µs, ms or s with three significant digits. */
    static String time(double seconds) {
        if (Double.isNaN(seconds)) {
            return "-";
        }
        if (seconds < 1e-3) {
            return sig(seconds * 1e6) + " µs";
        }
        return seconds < 1 ? sig(seconds * 1e3) + " ms" : sig(seconds) + " s";
    }

    /** Bytes as B, KiB, MiB or GiB. */
    static String bytes(double b) {
        if (Double.isNaN(b)) {
            return "-";
        }
        String[] units = {"B", "KiB", "MiB", "GiB"};
        int u = 0;
        while (Math.abs(b) >= 1024 && u + 1 < units.length) {
            b /= 1024;
            u++;
        }
        return u == 0 ? String.format("%.0f B", b) : String.format("%.1f %s", b, units[u]);
    }

    private static String sig(double v) {
        return v >= 100 ? String.format("%.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
    }
}
