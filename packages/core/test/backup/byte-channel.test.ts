import { describe, expect, it } from "vitest";
import { KBackupError } from "@kbackup/core";
import { ByteChannel } from "../../src/util/byte-channel.js";

const chunk = (size: number, fill = 1) => new Uint8Array(size).fill(fill);

async function drain(channel: ByteChannel): Promise<number> {
  let bytes = 0;
  for await (const part of channel) bytes += part.length;
  return bytes;
}

describe("ByteChannel", () => {
  it("hands every chunk to the reader in order and ends on close", async () => {
    const channel = new ByteChannel(10);
    const reading = (async () => {
      const seen: number[] = [];
      for await (const part of channel) seen.push(part[0]!);
      return seen;
    })();
    for (let i = 1; i <= 5; i++) await channel.write(chunk(8, i));
    channel.close();
    expect(await reading).toEqual([1, 2, 3, 4, 5]);
  });

  it("holds a writer back while more than the high-water mark is queued, and lets it go as the reader takes chunks", async () => {
    const channel = new ByteChannel(10);
    let written = 0;
    const writing = (async () => {
      for (let i = 0; i < 4; i++) {
        await channel.write(chunk(8));
        written++;
      }
      channel.close();
    })();
    await new Promise((resolve) => setImmediate(resolve));
    // 8 bytes fit; the second write queues 16 > 10 and waits.
    expect(written).toBe(1);
    expect(await drain(channel)).toBe(32);
    await writing;
    expect(written).toBe(4);
  });

  it("fails a writer that is held back when the stream is failed, with that error", async () => {
    const channel = new ByteChannel(10);
    const held = channel.write(chunk(20));
    const cause = new KBackupError("PermissionDenied", "The store refused the upload.");
    channel.fail(cause);
    await expect(held).rejects.toBe(cause);
  });

  it("fails later writes with the error the stream was failed with", async () => {
    const channel = new ByteChannel(10);
    const cause = new KBackupError("Unavailable", "The upload was cut.");
    channel.fail(cause);
    await expect(channel.write(chunk(1))).rejects.toBe(cause);
    await expect(drain(channel)).rejects.toBe(cause);
  });

  it("fails writes once the reader stops early, rather than queueing bytes nobody reads", async () => {
    const channel = new ByteChannel(10);
    await channel.write(chunk(4));
    for await (const _ of channel) break;
    await expect(channel.write(chunk(1))).rejects.toThrow(/stopped/);
  });
});
