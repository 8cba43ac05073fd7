package dev.zerograd.bindings;

import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * An opened native library: where it came from and how to find its symbols. The library stays
 * loaded for the life of the JVM.
 *
 * @param source   which of the searched places provided it
 * @param path     the file that was opened (for a system library found by the dynamic loader, the
 *                 file it mapped, read back from {@code /proc/self/maps})
 * @param lookup   its symbols
 * @param searched one line per place tried before and including the one that succeeded
 */
public record LoadedLibrary(LibrarySource source, Path path, SymbolLookup lookup, List<String> searched) {
    public LoadedLibrary {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(lookup, "lookup");
        searched = List.copyOf(searched);
    }
}
