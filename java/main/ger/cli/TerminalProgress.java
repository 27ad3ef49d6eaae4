package ger.cli;

import ger.method.Progress;

import java.io.PrintStream;

/**
 * Progress bars on stderr: redrawn in place on a terminal, one line per tenth of the phase when
 * stderr is a file or a pipe (so logs stay readable).
 */
final class TerminalProgress implements Progress {
    private static final int WIDTH = 30;
    private final PrintStream err = System.err;
    private final boolean terminal = System.console() != null && System.console().isTerminal();
    private String phase = "";
    private long total;
    private long done;
    private long started;
    private int lastTenth;

    @Override
    public void start(String phase, long total) {
        this.phase = phase;
        this.total = Math.max(1, total);
        this.done = 0;
        this.lastTenth = -1;
        this.started = System.nanoTime();
        draw("");
    }

    @Override
    public void advance(String detail) {
        done = Math.min(total, done + 1);
        draw(detail);
    }

    @Override
    public void done() {
        if (terminal) {
            err.println();
        }
    }

    @Override
    public void result(String line) {
        if (terminal) {
            err.print("\r\u001b[K");
        }
        err.println(line);
    }

    private void draw(String detail) {
        int filled = (int) (WIDTH * done / total);
        double seconds = (System.nanoTime() - started) / 1e9;
        String line = String.format("%-28s [%s%s] %d/%d %.1fs %s", phase, "#".repeat(filled),
                " ".repeat(WIDTH - filled), done, total, seconds, detail);
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
            err.flush();
        } else {
            int tenth = (int) (10 * done / total);
            if (tenth != lastTenth) {
                lastTenth = tenth;
                err.println(line);
            }
        }
    }
}
