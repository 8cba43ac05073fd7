package dev.zerograd.bench;

import dev.zerograd.bindings.Cuda;
import dev.zerograd.bindings.LoadedLibrary;
import dev.zerograd.bindings.OneDnn;
import dev.zerograd.bindings.OpenBlas;
import dev.zerograd.kernels.GemmBackend;
import dev.zerograd.kernels.Parallel;
import dev.zerograd.tape.GradientTape;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Prints what zerograd runs on: JDK, OpenBLAS, CUDA, arena and threading defaults. */
@Command(name = "info", description = "Print the JDK, the OpenBLAS in use, CUDA visibility and the defaults.")
final class InfoCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println("zerograd 0.1.0");
        System.out.printf("JDK        %s (%s) at %s%n", Runtime.version(), System.getProperty("java.vendor"), System.getProperty("java.home"));
        System.out.printf("CPU        %d cores available, %s %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"), System.getProperty("os.name"));
        var lib = OpenBlas.find();
        if (lib.isPresent()) {
            LoadedLibrary l = lib.get();
            System.out.printf("OpenBLAS   %s (%s)%n", l.path(), l.source());
            System.out.printf("           config: %s%n", OpenBlas.configString());
            System.out.printf("           core: %s, threads: %d, parallelism: %s%n", OpenBlas.coreName(), OpenBlas.numThreads(),
                    OpenBlas.parallelism());
        } else {
            try {
                OpenBlas.load();
            } catch (RuntimeException e) {
                System.out.println("OpenBLAS   not available: " + e.getMessage());
            }
        }
        System.out.println("oneDNN     " + OneDnn.describe().replaceFirst("^oneDNN: ", "").replace("\n  ", "\n           "));
        String sgemm;
        try {
            sgemm = GemmBackend.describe();
        } catch (RuntimeException e) { // a bad ZEROGRAD_SGEMM, or onednn asked for and missing: info still answers
            sgemm = "not usable: " + e.getMessage().replace("\n", "\n           ");
        }
        System.out.println("sgemm      " + sgemm + " (-Dzerograd.sgemm / ZEROGRAD_SGEMM = auto, openblas, onednn)");
        System.out.println("CUDA       " + Cuda.describe());
        System.out.printf("Threads    intra-op pool: %d (-Dzerograd.threads)%n", Parallel.threads());
        System.out.printf("Arenas     defaults: parameters %d MiB (shared), step %d MiB (confined), 64-byte alignment%n",
                Defaults.PARAMS_ARENA_BYTES >> 20, Defaults.STEP_ARENA_BYTES >> 20);
        System.out.printf("Tape       capacity %d records (-Dzerograd.tape.capacity), anomaly mode %s (-Dzerograd.anomaly)%n",
                GradientTape.DEFAULT_CAPACITY, Boolean.getBoolean("zerograd.anomaly") ? "on" : "off");
        System.out.printf("Handles    %s (-Dzerograd.checkHandles)%n",
                Boolean.getBoolean("zerograd.checkHandles") ? "never recycled: every stale use caught" : "pooled, recycled per reset");
        return 0;
    }
}
