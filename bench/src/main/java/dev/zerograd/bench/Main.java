package dev.zerograd.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./zerograd} command line: {@code train}, {@code bench}, {@code info}. */
@Command(name = "zerograd", mixinStandardHelpOptions = true, version = "zerograd 0.1.0",
        description = "Off-heap, zero-GC automatic differentiation on the JVM.",
        subcommands = {TrainCommand.class, BenchCommand.class, InfoCommand.class})
public final class Main implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
    }
}
