package org.genzoo.service.jobs;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throw-away PostgreSQL cluster for the tests: the server binaries of Debian's {@code postgresql}
 * package ({@code ./genzoo test} installs it), {@code initdb} in a temp folder, {@code postgres} on a
 * free loopback port with trust authentication, removed when the JVM exits. PostgreSQL refuses to
 * run as root, so under root the folder is given to the {@code postgres} user (else {@code nobody})
 * and the binaries run through {@code runuser}. One cluster per test JVM; each test takes a fresh
 * database ({@link #newDatabase}).
 *
 * <p>Without the binaries the tests are skipped with the reason, except under {@code CI=true}, where
 * they fail. {@code GENZOO_PG_BIN} overrides where the binaries are looked for.
 */
public final class PgCluster {
    private static PgCluster shared;
    private static final AtomicInteger DATABASES = new AtomicInteger();

    final Path bin;
    final Path dir;
    final int port;
    final String runAs;

    private PgCluster(Path bin, Path dir, int port, String runAs) {
        this.bin = bin;
        this.dir = dir;
        this.port = port;
        this.runAs = runAs;
    }

    /** The cluster of this JVM, started on first use. */
    public static synchronized PgCluster get() {
        if (shared == null) {
            try {
                shared = start();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("could not start the test PostgreSQL cluster: " + e.getMessage(), e);
            }
            PgCluster c = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(c::destroy, "pg-cluster-stop"));
        }
        return shared;
    }

    static Path findBin() {
        String env = System.getenv("GENZOO_PG_BIN");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isExecutable(p.resolve("bin/initdb")))
                    .max(Comparator.comparingInt(p -> {
                        try {
                            return Integer.parseInt(p.getFileName().toString());
                        } catch (NumberFormatException e) {
                            return 0;
                        }
                    })).map(p -> p.resolve("bin")).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static PgCluster start() throws IOException, InterruptedException {
        Path bin = findBin();
        if (bin == null || !Files.isExecutable(bin.resolve("initdb"))) {
            String why = "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin or GENZOO_PG_BIN):"
                    + " install Debian's postgresql package (./genzoo test does)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        String runAs = null;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "genzoo-pg-");
        if (root) {
            runAs = userExists("postgres") ? "postgres" : "nobody";
            UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
            Files.setOwner(dir, owner);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        PgCluster c = new PgCluster(bin, dir, port, runAs);
        c.run(60, "initdb", "-D", dir.resolve("data").toString(), "-U", "genzoo", "--auth=trust", "-E", "UTF8", "--no-sync");
        c.pgCtl("start");
        return c;
    }

    private static boolean userExists(String name) throws IOException {
        return Files.readAllLines(Path.of("/etc/passwd")).stream().anyMatch(l -> l.startsWith(name + ":"));
    }

    private void run(int timeoutS, String tool, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (runAs != null) {
            cmd.addAll(List.of("runuser", "-u", runAs, "--"));
        }
        cmd.add(bin.resolve(tool).toString());
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("genzoo-pg-cmd-", ".log");
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish in " + timeoutS + " s: " + Files.readString(out));
            }
            if (p.exitValue() != 0) {
                String log = Files.exists(dir.resolve("server.log")) ? Files.readString(dir.resolve("server.log")) : "";
                throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue() + ": " + Files.readString(out) + log);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private void pgCtl(String action, String... extra) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-D", dir.resolve("data").toString(), "-l", dir.resolve("server.log").toString(), "-w",
                "-t", "60", "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir
                        + " -c fsync=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"));
        args.addAll(List.of(extra));
        args.add(action);
        run(90, "pg_ctl", args.toArray(String[]::new));
    }

    /** {@code pg_ctl restart -m fast}: every session is ended; the server is back when this returns. */
    public void restart() throws IOException, InterruptedException {
        pgCtl("restart", "-m", "fast");
    }

    /** {@code pg_ctl stop -m fast}. */
    public void stop() throws IOException, InterruptedException {
        pgCtl("stop", "-m", "fast");
    }

    public void startAgain() throws IOException, InterruptedException {
        pgCtl("start");
    }

    /** A fresh, empty database; returns its {@code postgresql://} URL. */
    public String newDatabase() {
        String name = "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=genzoo");
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("creating the test database " + name + ": " + e.getMessage(), e);
        }
        return url(name);
    }

    public String url(String database) {
        return "postgresql://genzoo@127.0.0.1:" + port + "/" + database;
    }

    /** The server log, for failure messages. */
    public String log() {
        try {
            return Files.readString(dir.resolve("server.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no server log: " + e.getMessage() + ")";
        }
    }

    private void destroy() {
        try {
            pgCtl("stop", "-m", "immediate");
        } catch (IOException | InterruptedException e) {
            // The JVM is exiting; the folder below goes either way.
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Best effort at exit: a leftover folder in /tmp is harmless.
        }
    }
}
