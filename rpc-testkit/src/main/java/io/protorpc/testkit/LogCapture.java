package io.protorpc.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what one logger (and its children) logs while open, through java.util.logging, where
 * {@link System.Logger} goes by default. Suites use it to check what the server says about a call.
 */
final class LogCapture extends Handler implements AutoCloseable {
  private final Logger logger;
  private final Level oldLevel;
  private final boolean oldUseParentHandlers;
  private final List<LogRecord> records = new ArrayList<>();

  LogCapture(String loggerName) {
    this.logger = Logger.getLogger(loggerName);
    this.oldLevel = logger.getLevel();
    this.oldUseParentHandlers = logger.getUseParentHandlers();
    logger.setLevel(Level.ALL);
    logger.setUseParentHandlers(false); // what is expected need not clutter the test output
    logger.addHandler(this);
  }

  @Override
  public synchronized void publish(LogRecord record) {
    records.add(record);
  }

  /** The records so far whose message contains {@code text} and that are at least {@code level}. */
  synchronized List<LogRecord> matching(Level level, String text) {
    List<LogRecord> m = new ArrayList<>();
    for (LogRecord r : records) {
      if (r.getLevel().intValue() >= level.intValue() && r.getMessage() != null
          && r.getMessage().contains(text)) {
        m.add(r);
      }
    }
    return m;
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    logger.removeHandler(this);
    logger.setLevel(oldLevel);
    logger.setUseParentHandlers(oldUseParentHandlers);
  }
}
