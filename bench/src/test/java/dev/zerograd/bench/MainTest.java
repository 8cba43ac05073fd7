package dev.zerograd.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line's error handling: a failing command prints its message, not a stack trace, and exits with 1. */
class MainTest {
    @Test
    void aFailingCommandPrintsItsMessageAndExitsWithOne() {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("train", "--epochs", "0");
        assertEquals(1, code);
        String text = err.toString();
        assertTrue(text.startsWith("zerograd: train: --epochs and --batch must be positive, got 0 and 64\n"), text);
        assertTrue(text.contains("ZEROGRAD_TRACE=1 shows where: java.lang.IllegalArgumentException"), text);
        assertFalse(text.contains("\tat "), "no stack trace without ZEROGRAD_TRACE: " + text);
    }

    @Test
    void theStackTraceIsPrintedWhenAsked() {
        System.setProperty("zerograd.trace", "true");
        try {
            CommandLine cl = Main.commandLine();
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err));
            assertEquals(1, cl.execute("train", "--batch", "-1"));
            assertTrue(err.toString().contains("\tat dev.zerograd.bench.TrainCommand.call"), err.toString());
        } finally {
            System.clearProperty("zerograd.trace");
        }
    }
}
