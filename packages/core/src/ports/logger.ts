/** Where kbackup writes what it does. Secrets are never passed to it. */
export interface Logger {
  /** Detail that helps only when tracing a problem; `fields` carry its context (keys, ids, durations). */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** A normal step of an operation. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Something went wrong that did not stop the operation: an object not restored, a marker not removed. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Something failed that needs attention, such as a hook whose failure fails the operation or a clean-up that could not finish. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The default logger: says nothing. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
