package dev.zerograd.bindings;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * Finds and opens OpenBLAS, trying in order: (a) an explicit file, (b) the system library,
 * (c) the copy bundled in a jar on the classpath. Every input comes from {@link Inputs}, so the
 * search can be tested without touching the process environment.
 *
 * <p>An explicit file is never silently replaced: when one is named, (b) and (c) are not tried.
 * When nothing works, the {@link NativeLibraryException} lists every place tried and why it failed.
 */
@SuppressWarnings("restricted") // opening libraries and linking them is what this module is for
final class OpenBlasLocator {
    static final String ENV_PATH = "ZEROGRAD_OPENBLAS";
    static final String PROP_PATH = "zerograd.openblas";
    static final String ENV_NO_SYSTEM = "ZEROGRAD_OPENBLAS_NO_SYSTEM";
    static final String PROP_NO_SYSTEM = "zerograd.openblas.disableSystem";
    static final String SYSTEM_SONAME = "libopenblas.so.0";
    /** Usual homes of the system library when the loader's cache does not know it. */
    static final List<Path> SYSTEM_PATHS = List.of(
            Path.of("/usr/lib/x86_64-linux-gnu/libopenblas.so.0"), // Debian/Ubuntu alternatives link
            Path.of("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0"),
            Path.of("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0"),
            Path.of("/usr/lib64/libopenblas.so.0"), // Fedora, RHEL
            Path.of("/usr/lib/libopenblas.so.0")); // Arch
    /** Symbols every OpenBLAS exports; a library without them is not OpenBLAS. */
    private static final List<String> REQUIRED = List.of("cblas_sgemm", "openblas_get_config");

    /**
     * What the search depends on.
     *
     * @param explicitPath   the file named by the user, or null
     * @param explicitOrigin how it was named, e.g. {@code ZEROGRAD_OPENBLAS}, for messages
     * @param systemEnabled  whether to try the system library
     * @param systemSoname   the name handed to the dynamic loader
     * @param systemPaths    files tried when the dynamic loader does not find the soname
     * @param bundleLoader   where to look for the bundled jar's resources
     * @param cacheRoot      per-user cache root for extraction, or null when there is none
     */
    record Inputs(String explicitPath, String explicitOrigin, boolean systemEnabled, String systemSoname,
            List<Path> systemPaths, ClassLoader bundleLoader, Path cacheRoot) {

        /** The inputs of this process: its environment, system properties and class path. */
        static Inputs fromEnvironment() {
            return from(System.getenv(), System.getProperties(), OpenBlasLocator.class.getClassLoader());
        }

        /** The system property wins over the environment variable, as a more local setting. */
        static Inputs from(Map<String, String> env, Properties props, ClassLoader loader) {
            String explicit = props.getProperty(PROP_PATH);
            String origin = "-D" + PROP_PATH;
            if (explicit == null || explicit.isBlank()) {
                explicit = env.get(ENV_PATH);
                origin = ENV_PATH;
            }
            if (explicit != null && explicit.isBlank()) {
                explicit = null;
            }
            boolean noSystem = Boolean.parseBoolean(props.getProperty(PROP_NO_SYSTEM))
                    || "1".equals(env.get(ENV_NO_SYSTEM)) || "true".equalsIgnoreCase(env.get(ENV_NO_SYSTEM));
            return new Inputs(explicit, origin, !noSystem, SYSTEM_SONAME, SYSTEM_PATHS, loader,
                    cacheRoot(env, props));
        }

        /** {@code $XDG_CACHE_HOME} when absolute (as the XDG spec requires), else {@code ~/.cache}. */
        static Path cacheRoot(Map<String, String> env, Properties props) {
            String xdg = env.get("XDG_CACHE_HOME");
            if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
                return Path.of(xdg);
            }
            String home = props.getProperty("user.home");
            return home == null || home.isBlank() || home.equals("?") ? null : Path.of(home, ".cache");
        }
    }

    private OpenBlasLocator() {}

    /** Opens the first OpenBLAS found; the library stays loaded for the life of the JVM. */
    static LoadedLibrary locate(Inputs in) {
        List<String> searched = new ArrayList<>();
        if (in.explicitPath() != null) {
            Path path = Path.of(in.explicitPath()).toAbsolutePath();
            String place = in.explicitOrigin() + "=" + in.explicitPath();
            if (!Files.exists(path)) {
                searched.add(place + ": no such file");
            } else {
                Optional<LoadedLibrary> found = open(LibrarySource.ENV, place, path, searched);
                if (found.isPresent()) {
                    return found.get();
                }
            }
            throw failure(in, searched, "The system library and the bundled copy are not tried while "
                    + in.explicitOrigin() + " is set: unset it to let zerograd search.");
        }
        searched.add(ENV_PATH + " / -D" + PROP_PATH + ": not set");
        if (!in.systemEnabled()) {
            searched.add("system " + in.systemSoname() + ": skipped (-D" + PROP_NO_SYSTEM + "=true or "
                    + ENV_NO_SYSTEM + "=1)");
        } else {
            Optional<LoadedLibrary> found = openSystem(in, searched);
            if (found.isPresent()) {
                return found.get();
            }
        }
        return openBundled(in, searched).orElseThrow(() -> failure(in, searched, null));
    }

    private static Optional<LoadedLibrary> openSystem(Inputs in, List<String> searched) {
        String place = "system " + in.systemSoname() + " via the dynamic loader (LD_LIBRARY_PATH, ld.so.cache)";
        Arena arena = Arena.ofShared();
        try {
            SymbolLookup lookup = SymbolLookup.libraryLookup(in.systemSoname(), arena);
            Optional<LoadedLibrary> accepted =
                    accept(LibrarySource.SYSTEM, place, Path.of(in.systemSoname()), lookup, arena, searched);
            if (accepted.isPresent()) {
                return accepted;
            }
        } catch (IllegalArgumentException e) {
            arena.close();
            searched.add(place + ": not found");
        }
        for (Path path : in.systemPaths()) {
            if (!Files.exists(path)) {
                searched.add(path + ": no such file");
                continue;
            }
            Optional<LoadedLibrary> found = open(LibrarySource.SYSTEM, path.toString(), path, searched);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    private static Optional<LoadedLibrary> openBundled(Inputs in, List<String> searched) {
        String place = "bundled " + BundledOpenBlas.RESOURCE_DIR + BundledOpenBlas.LIBRARY + " on the classpath";
        if (!BundledOpenBlas.platformSupported()) {
            searched.add(place + ": built for linux-x86_64 only, this is "
                    + System.getProperty("os.name") + "-" + System.getProperty("os.arch"));
            return Optional.empty();
        }
        if (!BundledOpenBlas.present(in.bundleLoader())) {
            searched.add(place + ": not found (" + BundledOpenBlas.COORDINATES + " is not on the classpath)");
            return Optional.empty();
        }
        if (in.cacheRoot() == null) {
            searched.add(place + ": no cache directory (set XDG_CACHE_HOME or user.home)");
            return Optional.empty();
        }
        Path dir;
        try {
            dir = BundledOpenBlas.extract(in.bundleLoader(), in.cacheRoot());
        } catch (IOException e) {
            searched.add(place + ": extraction under " + in.cacheRoot().resolve("zerograd") + " failed: " + e);
            return Optional.empty();
        }
        // The library's RUNPATH ($ORIGIN) finds libgfortran beside it, but libgfortran has no RUNPATH:
        // its own dependencies are taken from the system when present, else from the extracted copies.
        Arena deps = Arena.ofShared();
        for (String dependency : List.of("libgcc_s.so.1", "libquadmath.so.0")) {
            try {
                SymbolLookup.libraryLookup(dependency, deps);
            } catch (IllegalArgumentException notOnSystem) {
                try {
                    SymbolLookup.libraryLookup(dir.resolve(dependency), deps);
                } catch (IllegalArgumentException e) {
                    searched.add(place + ": dependency " + dir.resolve(dependency) + " could not be opened");
                    return Optional.empty();
                }
            }
        }
        return open(LibrarySource.BUNDLED, place + ", extracted to " + dir, dir.resolve(BundledOpenBlas.LIBRARY),
                searched);
    }

    private static Optional<LoadedLibrary> open(LibrarySource source, String place, Path path, List<String> searched) {
        Arena arena = Arena.ofShared();
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(path, arena);
        } catch (IllegalArgumentException e) {
            arena.close();
            searched.add(place + ": could not be opened as a shared library (" + e.getMessage() + ")");
            return Optional.empty();
        }
        return accept(source, place, path, lookup, arena, searched);
    }

    /** Keeps {@code lookup} if it is an LP64 OpenBLAS; otherwise closes {@code arena} and says why. */
    private static Optional<LoadedLibrary> accept(LibrarySource source, String place, Path path,
            SymbolLookup lookup, Arena arena, List<String> searched) {
        String problem = null;
        for (String symbol : REQUIRED) {
            if (lookup.find(symbol).isEmpty()) {
                problem = "not OpenBLAS: it does not export " + symbol;
                break;
            }
        }
        if (problem == null && configString(lookup).contains("USE64BITINT")) {
            problem = "built with 64-bit integers (USE64BITINT); the bindings need blasint = int";
        }
        if (problem != null) {
            arena.close();
            searched.add(place + ": " + problem);
            return Optional.empty();
        }
        // A bare soname was resolved by the dynamic loader: report the file it actually mapped.
        Path file = path.isAbsolute() ? path
                : NativeLibrary.mappedFile(lookup.find(REQUIRED.get(1)).orElseThrow()).orElse(path);
        searched.add(place + ": loaded " + file);
        return Optional.of(new LoadedLibrary(source, file, lookup, searched));
    }

    private static String configString(SymbolLookup lookup) {
        MethodHandle getConfig = Linker.nativeLinker().downcallHandle(
                lookup.find("openblas_get_config").orElseThrow(), FunctionDescriptor.of(ADDRESS));
        try {
            MemorySegment config = (MemorySegment) getConfig.invokeExact();
            return config.equals(MemorySegment.NULL) ? "" : config.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable e) {
            throw new NativeLibraryException("openblas_get_config failed", e);
        }
    }

    private static NativeLibraryException failure(Inputs in, List<String> searched, String note) {
        StringBuilder message = new StringBuilder("OpenBLAS could not be loaded. Places searched, in order:");
        for (int i = 0; i < searched.size(); i++) {
            message.append("\n  ").append(i + 1).append(". ").append(searched.get(i));
        }
        if (note != null) {
            message.append("\n").append(note);
        }
        message.append("\nTo provide OpenBLAS, do one of:")
                .append("\n  - install the system library: apt-get install libopenblas0 (or libopenblas0-openmp)")
                .append("\n  - set ").append(ENV_PATH).append("=/path/to/libopenblas.so.0 (or -D")
                .append(PROP_PATH).append("=...)")
                .append("\n  - put ").append(BundledOpenBlas.COORDINATES).append(" on the classpath");
        return new NativeLibraryException(message.toString(), searched, null);
    }
}
