package ger.method;

/** Progress of a long phase, for the terminal's progress bars. Calls come from one thread. */
public interface Progress {
    Progress NONE = new Progress() {
        @Override
        public void start(String phase, long total) {
        }

        @Override
        public void advance(String detail) {
        }

        @Override
        public void done() {
        }
    };

    /** A phase begins with this many steps. */
    void start(String phase, long total);

    /** One step done; detail (may be empty) is shown beside the bar, e.g. the current loss. */
    void advance(String detail);

    /** The phase ended. */
    void done();

    /** A finished job's one-line result (a sweep point); nothing by default. */
    default void result(String line) {
    }
}
