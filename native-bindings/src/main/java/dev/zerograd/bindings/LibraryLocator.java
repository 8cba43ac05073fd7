package dev.zerograd.bindings;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds and opens a library that is looked up by soname: one of NVIDIA's CUDA toolkit (the runtime
 * {@code libcudart}, cuBLAS), oneDNN ({@code libdnnl}) and the OpenMP runtime it runs on. The order
 * is: (a) an explicit file, named by an environment variable or a system property;
 * (b) each soname of {@link Spec#sonames()}, newest first, through the dynamic loader
 * ({@code LD_LIBRARY_PATH}, {@code ld.so.cache}); (c) the same names in the usual directories (the
 * CUDA toolkit's for its libraries, {@link #SYSTEM_DIRECTORIES} for the others). Every input comes
 * from {@link Inputs}, so the search can be tested without touching the process environment.
 *
 * <p>An explicit file is never silently replaced: when one is named, (b) and (c) are not tried.
 * When nothing works, the {@link NativeLibraryException} lists every place tried and why it failed.
 * Nothing here needs a GPU or a driver: the runtime library opens without either, and reports
 * their absence only when it is called.
 */
@SuppressWarnings("restricted") // opening libraries is what this module is for
final class LibraryLocator {
    /**
     * What to look for.
     *
     * @param title       the library's name in messages, e.g. {@code "the CUDA runtime (libcudart)"}
     * @param envPath     environment variable naming the file explicitly
     * @param propPath    system property naming the file explicitly; wins over {@code envPath}
     * @param sonames     names handed to the dynamic loader and looked for in each directory, in order
     * @param required    symbols the library must export to be accepted
     * @param installHint how to install it, one line
     */
    record Spec(String title, String envPath, String propPath, List<String> sonames, List<String> required,
            String installHint) {}

    static final Spec CUDART = new Spec("the CUDA runtime (libcudart)", "ZEROGRAD_CUDART", "zerograd.cudart",
            List.of("libcudart.so.13", "libcudart.so.12", "libcudart.so"),
            List.of("cudaGetDeviceCount", "cudaRuntimeGetVersion"),
            "install the CUDA toolkit, or only its runtime (package cuda-cudart-13-0 from NVIDIA's repository),"
                    + " where the dynamic loader finds it (ldconfig or LD_LIBRARY_PATH)");

    static final Spec CUBLAS = new Spec("cuBLAS (libcublas)", "ZEROGRAD_CUBLAS", "zerograd.cublas",
            List.of("libcublas.so.13", "libcublas.so.12", "libcublas.so"),
            List.of("cublasCreate_v2", "cublasSgemm_v2"),
            "install cuBLAS (package libcublas-13-0 from NVIDIA's repository, or the full CUDA toolkit),"
                    + " where the dynamic loader finds it (ldconfig or LD_LIBRARY_PATH)");

    static final Spec ONEDNN = new Spec("oneDNN (libdnnl)", "ZEROGRAD_ONEDNN", "zerograd.onednn",
            List.of("libdnnl.so.3", "libdnnl.so.2", "libdnnl.so"),
            List.of("dnnl_sgemm", "dnnl_version", "dnnl_get_effective_cpu_isa"),
            "install oneDNN: apt-get install libdnnl2 (Debian, Ubuntu), or a oneDNN 3 build where the dynamic"
                    + " loader finds it (ldconfig or LD_LIBRARY_PATH)");

    static final Spec GOMP = new Spec("the GNU OpenMP runtime (libgomp)", "ZEROGRAD_GOMP", "zerograd.gomp",
            List.of("libgomp.so.1"), List.of("omp_set_num_threads", "omp_get_max_threads"),
            "install libgomp1 (it comes with GCC's runtime libraries)");

    /** Where libraries outside the CUDA toolkit are looked for when the dynamic loader does not know them. */
    static final List<Path> SYSTEM_DIRECTORIES = List.of(Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"),
            Path.of("/usr/local/lib"), Path.of("/usr/lib"));

    /**
     * What the search depends on.
     *
     * @param spec           the library
     * @param explicitPath   the file named by the user, or null
     * @param explicitOrigin how it was named, e.g. {@code ZEROGRAD_CUDART}, for messages
     * @param directories    directories tried, in order, when the dynamic loader finds none of the sonames
     */
    record Inputs(Spec spec, String explicitPath, String explicitOrigin, List<Path> directories) {
        Inputs {
            directories = List.copyOf(directories);
        }

        /** The inputs of this process: its environment, system properties and {@code /usr/local}. */
        static Inputs fromEnvironment(Spec spec) {
            return from(spec, System.getenv(), System.getProperties(), Path.of("/usr/local"));
        }

        /** The inputs of this process for a library outside the CUDA toolkit, searched in {@code directories}. */
        static Inputs fromEnvironment(Spec spec, List<Path> directories) {
            Inputs toolkit = from(spec, System.getenv(), System.getProperties(), Path.of("/usr/local"));
            return new Inputs(spec, toolkit.explicitPath(), toolkit.explicitOrigin(), directories);
        }

        /** The system property wins over the environment variable, as a more local setting. */
        static Inputs from(Spec spec, Map<String, String> env, Properties props, Path usrLocal) {
            String explicit = props.getProperty(spec.propPath());
            String origin = "-D" + spec.propPath();
            if (explicit == null || explicit.isBlank()) {
                explicit = env.get(spec.envPath());
                origin = spec.envPath();
            }
            if (explicit != null && explicit.isBlank()) {
                explicit = null;
            }
            return new Inputs(spec, explicit, origin, toolkitDirectories(env.get("CUDA_HOME"), usrLocal));
        }
    }

    private static final Pattern VERSIONED = Pattern.compile("cuda-(\\d+)(?:\\.(\\d+))?");

    private LibraryLocator() {}

    /**
     * {@code $CUDA_HOME/lib64} and {@code lib} when set, then {@code <usrLocal>/cuda/lib64} and
     * {@code lib}, then {@code <usrLocal>/cuda-<version>/lib64} and {@code lib}, newest version first.
     * Directories that are the same one through a link are kept once.
     */
    static List<Path> toolkitDirectories(String cudaHome, Path usrLocal) {
        List<Path> roots = new ArrayList<>();
        if (cudaHome != null && !cudaHome.isBlank()) {
            roots.add(Path.of(cudaHome));
        }
        roots.add(usrLocal.resolve("cuda"));
        List<Path> versioned = new ArrayList<>();
        if (Files.isDirectory(usrLocal)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(usrLocal, "cuda-*")) {
                for (Path entry : entries) {
                    if (VERSIONED.matcher(entry.getFileName().toString()).matches()) {
                        versioned.add(entry);
                    }
                }
            } catch (IOException e) {
                // An unreadable /usr/local only shortens the search; the fixed places are still tried.
            }
        }
        versioned.sort(Comparator.comparingLong(LibraryLocator::versionKey).reversed());
        roots.addAll(versioned);
        List<Path> directories = new ArrayList<>();
        Set<Path> seen = new LinkedHashSet<>();
        for (Path root : roots) {
            for (String lib : List.of("lib64", "lib")) {
                Path dir = root.resolve(lib);
                if (seen.add(realPathOrSelf(dir))) {
                    directories.add(dir);
                }
            }
        }
        return directories;
    }

    /** {@code cuda-13.0} as {@code 13 * 2^20 + 0}: major first, then minor. */
    private static long versionKey(Path dir) {
        Matcher m = VERSIONED.matcher(dir.getFileName().toString());
        if (!m.matches()) {
            return -1;
        }
        long major = Long.parseLong(m.group(1));
        long minor = m.group(2) == null ? 0 : Long.parseLong(m.group(2));
        return (major << 20) + minor;
    }

    private static Path realPathOrSelf(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }

    /** Opens the first library found; it stays loaded for the life of the JVM. */
    static LoadedLibrary locate(Inputs in) {
        Spec spec = in.spec();
        List<String> searched = new ArrayList<>();
        if (in.explicitPath() != null) {
            Path path = Path.of(in.explicitPath()).toAbsolutePath();
            String place = in.explicitOrigin() + "=" + in.explicitPath();
            if (!Files.exists(path)) {
                searched.add(place + ": no such file");
            } else {
                Optional<LoadedLibrary> found = open(spec, LibrarySource.ENV, place, path, searched);
                if (found.isPresent()) {
                    return found.get();
                }
            }
            throw failure(spec, searched, "Other places are not tried while " + in.explicitOrigin()
                    + " is set: unset it to let zerograd search.");
        }
        searched.add(spec.envPath() + " / -D" + spec.propPath() + ": not set");
        for (String soname : spec.sonames()) {
            Optional<LoadedLibrary> found = openByLoader(spec, soname, searched);
            if (found.isPresent()) {
                return found.get();
            }
        }
        for (Path dir : in.directories()) {
            if (!Files.isDirectory(dir)) {
                searched.add(dir + ": no such directory");
                continue;
            }
            List<String> absent = new ArrayList<>();
            for (String soname : spec.sonames()) {
                Path path = dir.resolve(soname);
                if (!Files.exists(path)) {
                    absent.add(soname);
                    continue;
                }
                Optional<LoadedLibrary> found = open(spec, LibrarySource.SYSTEM, path.toString(), path, searched);
                if (found.isPresent()) {
                    return found.get();
                }
            }
            if (absent.size() == spec.sonames().size()) {
                searched.add(dir + ": none of " + String.join(", ", absent));
            }
        }
        throw failure(spec, searched, null);
    }

    private static Optional<LoadedLibrary> openByLoader(Spec spec, String soname, List<String> searched) {
        String place = soname + " via the dynamic loader";
        Arena arena = Arena.ofShared();
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(soname, arena);
        } catch (IllegalArgumentException e) {
            arena.close();
            searched.add(place + ": not found");
            return Optional.empty();
        }
        return accept(spec, LibrarySource.SYSTEM, place, Path.of(soname), lookup, arena, searched);
    }

    private static Optional<LoadedLibrary> open(Spec spec, LibrarySource source, String place, Path path,
            List<String> searched) {
        Arena arena = Arena.ofShared();
        SymbolLookup lookup;
        try {
            lookup = SymbolLookup.libraryLookup(path, arena);
        } catch (IllegalArgumentException e) {
            arena.close();
            searched.add(place + ": could not be opened as a shared library (" + e.getMessage() + ")");
            return Optional.empty();
        }
        return accept(spec, source, place, path, lookup, arena, searched);
    }

    /** Keeps {@code lookup} if it exports every required symbol; otherwise closes {@code arena} and says why. */
    private static Optional<LoadedLibrary> accept(Spec spec, LibrarySource source, String place, Path path,
            SymbolLookup lookup, Arena arena, List<String> searched) {
        for (String symbol : spec.required()) {
            if (lookup.find(symbol).isEmpty()) {
                arena.close();
                searched.add(place + ": not " + spec.title() + ": it does not export " + symbol);
                return Optional.empty();
            }
        }
        // A bare soname was resolved by the dynamic loader: report the file it actually mapped.
        Path file = path.isAbsolute() ? path
                : NativeLibrary.mappedFile(lookup.find(spec.required().get(0)).orElseThrow()).orElse(path);
        searched.add(place + ": loaded " + file);
        return Optional.of(new LoadedLibrary(source, file, lookup, searched));
    }

    private static NativeLibraryException failure(Spec spec, List<String> searched, String note) {
        StringBuilder message = new StringBuilder("Could not load ").append(spec.title())
                .append(". Places searched, in order:");
        for (int i = 0; i < searched.size(); i++) {
            message.append("\n  ").append(i + 1).append(". ").append(searched.get(i));
        }
        if (note != null) {
            message.append("\n").append(note);
        }
        message.append("\nTo provide it, do one of:")
                .append("\n  - ").append(spec.installHint())
                .append("\n  - set ").append(spec.envPath()).append("=/path/to/").append(spec.sonames().get(0))
                .append(" (or -D").append(spec.propPath()).append("=...)");
        return new NativeLibraryException(message.toString(), searched, null);
    }
}
