package ger.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * bin/ger, the launcher, run as a user runs it: from a copy of the repository's layout in a temporary
 * folder (bin/ger and target/ger.jar), with fake java executables that print a chosen version and
 * record how they were called, and once with the real Java 25 running this test.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("bin/ger").toAbsolutePath();

    @TempDir
    Path dir;

    @BeforeAll
    static void needsAShell() {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "no /bin/sh");
    }

    /** What a run printed and returned. */
    private record Run(int code, String out, String err) {
    }

    /** Runs command in folder cwd with the environment changed by env (a null value removes the variable). */
    private Run run(List<String> command, Path cwd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().remove("JAVA_HOME");
        pb.environment().remove("GER_JAVA_OPTS");
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the launcher did not finish: " + command);
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** dir/repo with bin/ger (a copy of the real one) and, if jar, an empty target/ger.jar. */
    private Path repository(boolean jar) throws IOException {
        Path repo = dir.resolve("repo");
        Files.createDirectories(repo.resolve("bin"));
        Path launcher = repo.resolve("bin/ger");
        Files.copy(LAUNCHER, launcher);
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (jar) {
            Files.createDirectories(repo.resolve("target"));
            Files.createFile(repo.resolve("target/ger.jar"));
        }
        return repo;
    }

    /**
     * A Java home whose bin/java answers -version with version, and otherwise writes its process id and
     * its arguments, one a line, to calls.txt beside it.
     */
    private Path fakeJava(String name, String version) throws IOException {
        Path home = dir.resolve(name);
        Files.createDirectories(home.resolve("bin"));
        Path java = home.resolve("bin/java");
        Path calls = home.resolve("calls.txt");
        Files.writeString(java, "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then\n"
                + "    echo 'Picked up JAVA_TOOL_OPTIONS: -Dnoise=1' >&2\n"
                + "    echo '" + version + "' >&2\n"
                + "    exit 0\n"
                + "fi\n"
                + "echo $$ > '" + calls + "'\n"
                + "for a in \"$@\"; do echo \"$a\"; done >> '" + calls + "'\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        return home;
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "openjdk version \"17.0.2\" 2022-01-18|17",
            "java version \"1.8.0_392\"|8",
            "openjdk version \"24\" 2025-03-18|24"})
    void anOlderJavaIsNamedWithTheVersionNeeded(String banner, String major) throws Exception {
        Path repo = repository(true);
        Path home = fakeJava("old-java", banner);
        Run r = run(List.of(repo.resolve("bin/ger").toString(), "--version"), dir, Map.of("JAVA_HOME", home.toString()));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("Java 25"), r.err());
        assertTrue(r.err().contains("is Java " + major + ";"), r.err());
        assertTrue(r.err().contains(home.resolve("bin/java") + " (from JAVA_HOME)"), r.err());
        assertFalse(Files.exists(home.resolve("calls.txt")), "the old java was started on the jar");
    }

    @Test
    void aJavaHomeWithoutJavaIsReported() throws Exception {
        Path repo = repository(true);
        Path empty = Files.createDirectories(dir.resolve("not-a-jdk"));
        Run r = run(List.of(repo.resolve("bin/ger").toString()), dir, Map.of("JAVA_HOME", empty.toString()));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("JAVA_HOME is " + empty + ", which has no bin/java"), r.err());
    }

    /**
     * Through a relative symlink, from another folder, with java found on PATH: the launcher finds the
     * jar beside its real location and becomes the JVM (same process id), with the module flags, the
     * user's GER_JAVA_OPTS as separate words, then the arguments as given.
     */
    @Test
    void execsTheJvmOnTheJarBesideItsRealLocation() throws Exception {
        Path repo = repository(true);
        Path home = fakeJava("new-java", "openjdk version \"25.0.1\" 2025-10-21 LTS");
        Path links = Files.createDirectories(dir.resolve("links"));
        Path link = Files.createSymbolicLink(links.resolve("ger"), Path.of("../repo/bin/ger"));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Run r = run(List.of(link.toString(), "info", "a file with spaces.npy"), elsewhere,
                Map.of("PATH", home.resolve("bin") + File.pathSeparator + System.getenv("PATH"),
                        "GER_JAVA_OPTS", "-Xmx1g -Dger.launcher.test=yes"));
        assertEquals(0, r.code(), r.err());
        List<String> calls = Files.readAllLines(home.resolve("calls.txt"));
        List<String> expected = List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Xmx1g", "-Dger.launcher.test=yes", "-jar", repo.resolve("target/ger.jar").toRealPath().toString(),
                "info", "a file with spaces.npy");
        assertEquals(expected, calls.subList(1, calls.size()), "the first line is the process id");
    }

    /** exec, not a child: the JVM has the launcher's process id, so that signals sent to it reach the JVM. */
    @Test
    void theJvmIsTheLauncherProcess() throws Exception {
        Path repo = repository(true);
        Path home = fakeJava("new-java", "openjdk version \"25\" 2025-09-16");
        ProcessBuilder pb = new ProcessBuilder(repo.resolve("bin/ger").toString(), "--version");
        pb.environment().put("JAVA_HOME", home.toString());
        pb.redirectErrorStream(true).redirectOutput(dir.resolve("log.txt").toFile());
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("log.txt")));
        List<String> calls = Files.readAllLines(home.resolve("calls.txt"));
        assertEquals(p.pid(), Long.parseLong(calls.getFirst().strip()), "the JVM ran in a child process");
    }

    @Test
    void aMissingJarSaysHowToBuildIt() throws Exception {
        Path repo = repository(false);
        Path home = fakeJava("new-java", "openjdk version \"25.0.1\" 2025-10-21 LTS");
        Run r = run(List.of(repo.resolve("bin/ger").toString(), "demo"), dir, Map.of("JAVA_HOME", home.toString()));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("target/ger.jar"), r.err());
        assertTrue(r.err().contains("mvn -B -q package -DskipTests"), r.err());
        assertFalse(Files.exists(home.resolve("calls.txt")), "java was started without a jar");
    }

    /**
     * The real Java 25 that runs this test, on a jar whose manifest names ger's main class and this
     * test's class path (so that no `mvn package` is needed first): bin/ger --version prints ger's.
     */
    @Test
    void runsGerOnTheRealJava() throws Exception {
        Path repo = repository(false);
        Path target = Files.createDirectories(repo.resolve("target"));
        writeLauncherJar(target.resolve("ger.jar"));
        Run r = run(List.of(repo.resolve("bin/ger").toString(), "--version"), dir,
                Map.of("JAVA_HOME", System.getProperty("java.home")));
        assertEquals(0, r.code(), r.err());
        assertEquals("ger " + Main.VERSION, r.out().strip(), r.err());
    }

    /** A jar holding only a manifest: Main-Class ger.cli.Main, Class-Path this JVM's class path, relative to the jar. */
    private static void writeLauncherJar(Path jar) throws IOException {
        Path from = jar.getParent().toRealPath();
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path entry = Path.of(e).toAbsolutePath();
            if (Files.exists(entry)) {
                String relative = from.relativize(entry.toRealPath()).toString().replace(File.separatorChar, '/')
                        .replace(" ", "%20");
                entries.add(Files.isDirectory(entry) ? relative + "/" : relative);
            }
        }
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", entries));
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m)) {
            j.flush();
        }
    }
}
