import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PREFLIGHT_FINDING_CODES, PREFLIGHT_FINDING_RULES, isKBackupError, preflightFinding, preflightRefusal, refuseOnPreflightErrors } from "@kbackup/core";

const doc = readFileSync(new URL("../../../../docs/preflight.md", import.meta.url), "utf8");

describe("preflight finding codes", () => {
  it("each have a severity and a remedy sentence, and a line in docs/preflight.md with that remedy", () => {
    expect(Object.keys(PREFLIGHT_FINDING_RULES).sort()).toEqual([...PREFLIGHT_FINDING_CODES].sort());
    for (const code of PREFLIGHT_FINDING_CODES) {
      const rule = PREFLIGHT_FINDING_RULES[code];
      expect(["Error", "Warning"]).toContain(rule.severity);
      expect(rule.remedy).toMatch(/^[A-Z].*\.$/);
      const row = doc.split("\n").find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row).toContain(`| ${rule.severity} |`);
      expect(row).toContain(rule.remedy);
    }
  });

  it("refuse an operation only for Errors, listing each with its remedy", () => {
    const warning = preflightFinding("RestoreConflicts", "targetCluster x", "3 items already exist.");
    expect(() => refuseOnPreflightErrors("Restoring", [warning])).not.toThrow();
    const first = preflightFinding("NamespaceMissing", "namespaces/a", "No a.");
    const second = preflightFinding("StoreNotWritable", "operationalStore", "Read-only.", { remedy: "Make it writable." });
    const error = preflightRefusal("Protecting x", [first, warning, second]);
    expect(isKBackupError(error, "PreconditionFailed")).toBe(true);
    expect(error.message.split("\n")).toEqual([
      "Protecting x refused: preflight checks found 2 errors (pass skipValidation: true to go ahead anyway).",
      `1. [NamespaceMissing] namespaces/a: No a. Remedy: ${PREFLIGHT_FINDING_RULES.NamespaceMissing.remedy}`,
      "2. [StoreNotWritable] operationalStore: Read-only. Remedy: Make it writable.",
    ]);
    expect(error.details?.findings).toEqual([first, warning, second]);
  });
});
