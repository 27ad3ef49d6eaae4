package ger.cli;

import ger.GerException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/** The ger command line: one subcommand per job. */
@Command(name = "ger", mixinStandardHelpOptions = true, version = "ger " + Main.VERSION,
        description = "Compress the fully-connected layers of a network by Global Error Reconstruction (GER) "
                + "and its rivals (LRD, AS, GER-IC, PQ, BIN), on the java, opencl or cuda backend.",
        subcommands = {CompressCommand.class, EvalCommand.class, InfoCommand.class, SweepCommand.class,
                TrainCommand.class, DemoCommand.class, ValidateCommand.class, BenchCommand.class})
public final class Main {
    public static final String VERSION = "0.1.0";

    /** The property by which a relaunched JVM knows its launcher's pid. */
    private static final String PARENT_PID = "ger.parent.pid";

    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            System.exit(relaunchWithVectorModule(args));
        }
        endWithTheLauncher();
        System.exit(run(args));
    }

    /**
     * In a relaunched JVM: exit (running the shutdown hooks, which delete temporary outputs) when the
     * launcher ends, also by SIGKILL, so that no job goes on writing behind the user's back.
     */
    private static void endWithTheLauncher() {
        String pid = System.getProperty(PARENT_PID);
        if (pid == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(pid)).ifPresentOrElse(
                launcher -> launcher.onExit().thenRun(() -> {
                    System.err.println("ger: the launching process " + pid + " has ended; stopping");
                    System.exit(143);
                }),
                () -> System.exit(143));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 a check failed, 2 bad input). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof GerException) {
                commandLine.getErr().println("ger: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /**
     * `java -jar ger.jar` cannot add the incubating Vector API module from the manifest, so the
     * launcher starts the same JVM again with it (and with the caller's JVM options).
     */
    private static int relaunchWithVectorModule(String[] args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-D" + PARENT_PID + "=" + ProcessHandle.current().pid());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        try {
            Process child = new ProcessBuilder(command).inheritIO().start();
            // SIGTERM or SIGINT here: pass it on and wait, so that the child deletes its temporary outputs.
            Thread forward = new Thread(() -> {
                child.destroy();
                try {
                    child.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "ger-stop-relaunched-jvm");
            Runtime.getRuntime().addShutdownHook(forward); // a no-op once the child has ended
            return child.waitFor();
        } catch (Exception e) {
            System.err.println("ger: could not start " + java + " with the Vector API module: " + e.getMessage()
                    + File.separator + " run java --add-modules jdk.incubator.vector -jar ger.jar ...");
            return 2;
        }
    }
}
