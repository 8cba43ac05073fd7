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
        System.exit(commandLine().execute(args));
    }

    /**
     * The command line with its error handling: a command that fails prints {@code zerograd: } and the
     * exception's message (zerograd's messages name the op, the inputs and the fix) and exits with 1; the stack
     * trace follows only with {@code ZEROGRAD_TRACE=1} or {@code -Dzerograd.trace=true}, or for an exception that
     * carries no message.
     */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            String message = e.getMessage();
            boolean trace = Boolean.getBoolean("zerograd.trace") || "1".equals(System.getenv("ZEROGRAD_TRACE"))
                    || message == null || message.isBlank();
            line.getErr().println("zerograd: " + (message == null || message.isBlank() ? e.toString() : message));
            if (trace) {
                e.printStackTrace(line.getErr());
            } else {
                line.getErr().println("(ZEROGRAD_TRACE=1 shows where: " + e.getClass().getName() + ")");
            }
            line.getErr().flush();
            return 1;
        });
        return cl;
    }
}
