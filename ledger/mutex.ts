/**
 * Serializes async sections that share one SQLite connection (a transaction may await a
 * signature; nothing else of this process may use the connection meanwhile).
 * @module
 */

/** A FIFO async lock. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `section` after every earlier section has finished. */
  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
