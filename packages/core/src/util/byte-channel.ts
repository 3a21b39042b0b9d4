/**
 * A bounded queue of byte chunks between a producer (who `write`s) and a consumer (who iterates),
 * so that a stream can be produced into an `ObjectStore.put` without holding it all in memory.
 * `write` waits while more than `highWaterMarkInBytes` are queued.
 */
export class ByteChannel implements AsyncIterable<Uint8Array> {
  private queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private closed = false;
  private failure: { error: unknown } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private consumerGone = false;

  constructor(private readonly highWaterMarkInBytes = 8 * 1024 * 1024) {}

  /**
   * Queues a chunk; resolves when there is room. Throws the stream's error once it has been failed,
   * and an error if the consumer stopped reading.
   */
  async write(chunk: Uint8Array): Promise<void> {
    this.throwIfEnded();
    if (this.closed) throw new Error("The stream is already closed.");
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
    this.wakeConsumer?.();
    while (this.queuedBytes > this.highWaterMarkInBytes && !this.consumerGone && !this.failure) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    this.throwIfEnded();
  }

  private throwIfEnded(): void {
    if (this.failure) throw this.failure.error;
    if (this.consumerGone) throw new Error("The reader of this stream has stopped.");
  }

  /** Ends the stream normally. */
  close(): void {
    this.closed = true;
    this.wakeConsumer?.();
  }

  /** Ends the stream with an error that the consumer's iteration throws. */
  fail(error: unknown): void {
    this.failure ??= { error };
    this.closed = true;
    this.wakeConsumer?.();
    // A writer held back by a full queue would otherwise wait for a reader that may never come.
    this.wakeProducer?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        if (this.failure) throw this.failure.error;
        const chunk = this.queue.shift();
        if (chunk) {
          this.queuedBytes -= chunk.length;
          if (this.queuedBytes <= this.highWaterMarkInBytes) this.wakeProducer?.();
          yield chunk;
          continue;
        }
        if (this.closed) return;
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = undefined;
      }
    } finally {
      this.consumerGone = true;
      this.wakeProducer?.();
    }
  }
}
