import { RE2JS } from "re2js";
import { isKBackupError } from "../errors.js";
import { parseJsonPointer } from "../patch/index.js";
import { isJsonObject } from "../patch/json-value.js";
import type { Fault } from "../selection/faults.js";
import { compileLabelSelector, type CompiledLabelSelector, type LabelSelector } from "../selection/index.js";
import { compileGlob, GlobSyntaxError, type GlobMatcher } from "./glob.js";
import { patchValueFromString } from "./patch-value.js";

/** What {@link Checker.patchValue} returns after a fault, and what a missing JSON Pointer target reads as. */
export const NO_VALUE = Symbol("no value");

/** Collects faults while reading untrusted data; each reader returns `undefined` after a fault. */
export class Checker {
  readonly faults: Fault[] = [];

  fault(field: string, message: string): void {
    this.faults.push({ field: field === "" ? "resourceModifiers" : field, message });
  }

  missing(field: string): undefined {
    this.fault(field, "is required");
    return undefined;
  }

  object(value: unknown, field: string, known: readonly string[]): Record<string, unknown> | undefined {
    if (!isJsonObject(value)) {
      this.fault(field, `must be an object, not ${describe(value)}`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.fault(field === "" ? key : `${field}.${key}`, `unknown field; expected one of ${known.join(", ")}`);
    }
    return value;
  }

  requiredString(value: unknown, field: string): string | undefined {
    if (value === undefined || value === null) return this.missing(field);
    if (value === "") {
      this.fault(field, "must not be empty");
      return undefined;
    }
    if (typeof value !== "string") {
      this.fault(field, `must be a string, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** A string that may be absent or empty (both read as `undefined`). */
  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined || value === null || value === "" ? undefined : this.requiredString(value, field);
  }

  optionalList(value: unknown, field: string): unknown[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      this.fault(field, `must be a list, not ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  nonEmptyList(value: unknown, field: string): unknown[] | undefined {
    const list = this.optionalList(value, field);
    if (list !== undefined && list.length === 0) this.fault(field, "must not be empty");
    return list?.length ? list : undefined;
  }

  /** Parses a JSON Pointer; with `allowRoot`, the empty pointer (the whole object) is allowed. */
  pointer(value: unknown, field: string, allowRoot = false): string[] | undefined {
    if (allowRoot && value === "") return [];
    const text = this.requiredString(value, field);
    if (text === undefined) return undefined;
    try {
      return parseJsonPointer(text, field);
    } catch (error) {
      this.fault(field, isKBackupError(error) ? error.message.replace(`${field}: `, "") : String(error));
      return undefined;
    }
  }

  /** A Velero patch value: absent is the empty string; returns NO_VALUE after a fault. */
  patchValue(value: unknown, field: string): unknown {
    if (value === undefined || value === null) return "";
    if (typeof value !== "string") {
      this.fault(field, `must be a string (quote it, as in "3" or "true"), not ${describe(value)}`);
      return NO_VALUE;
    }
    try {
      return patchValueFromString(value);
    } catch (error) {
      this.fault(field, `starts like JSON but is not valid JSON: ${(error as Error).message}`);
      return NO_VALUE;
    }
  }

  glob(pattern: string, field: string, separator?: string): GlobMatcher | undefined {
    try {
      return compileGlob(pattern, separator);
    } catch (error) {
      if (!(error instanceof GlobSyntaxError)) throw error;
      this.fault(field, `invalid glob ${JSON.stringify(pattern)}: ${error.message}`);
      return undefined;
    }
  }

  regexp(pattern: string, field: string): RE2JS | undefined {
    try {
      return RE2JS.compile(pattern);
    } catch (error) {
      this.fault(field, `invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
      return undefined;
    }
  }

  labelSelector(value: unknown, field: string): CompiledLabelSelector | undefined {
    try {
      return compileLabelSelector(value as LabelSelector, field);
    } catch (error) {
      if (!isKBackupError(error)) throw error;
      const where = error.field ?? field;
      this.fault(where, error.message.startsWith(`${where}: `) ? error.message.slice(where.length + 2) : error.message);
      return undefined;
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}
