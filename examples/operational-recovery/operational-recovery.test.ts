import { describe, expect, it } from "vitest";
import { run } from "./operational-recovery.js";

describe("operational recovery example", () => {
  it("brings a deleted namespace back from the latest recovery point, its volume from the snapshot", async () => {
    const result = await run();
    expect(result.restore.status).toBe("Completed");
    expect(result.restore.errorDetails ?? []).toEqual([]);
    expect(result.recoveryPointIds).toHaveLength(2);
    expect(result.recoveryPointId).toBe(result.recoveryPointIds[1]);
    // Every object of the namespace is back, with what the latest backup saw.
    expect(result.objectsAfter).toEqual(result.objectsBefore);
    expect(result.objectsAfter).toContain("statefulsets/postgres");
    expect(result.currencyAfter).toBe("USD");
    expect(result.restore.extendedInfo.counts?.volumesRestored).toBe(1);
    // The plan, made before the restore, foretold it item by item.
    const { volumesRestored: _volumes, ...restored } = result.restore.extendedInfo.counts ?? {};
    expect(result.plan.counts).toEqual(restored);
    expect(result.plan.counts.created).toBe(result.restore.extendedInfo.itemResults?.length);
    expect(Buffer.from(result.volumeAfter).equals(Buffer.from(result.volumeBefore))).toBe(true);
  });
});
