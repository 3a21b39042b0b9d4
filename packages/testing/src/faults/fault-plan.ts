import { KBACKUP_ERROR_CODES, invalidArgument, type KBackupErrorCode } from "@kbackup/core";

/** One call that reached a faulty wrapper, as a rule's `when` sees it. */
export interface FaultCall {
  /** The method called: `put`, `get`, `list`, `create`, `patch`, `exec`, ... */
  operation: string;
  /** The call's arguments as given (for a list page: the list's arguments, then the page settings). */
  args: readonly unknown[];
  /** How many calls of this operation the wrapper has seen, this one included (1-based). Each page of a list counts. */
  count: number;
  /** For `list`: which page of this list iteration is being fetched (1-based). */
  page?: number;
}

/** A call as the wrapper recorded it, with the fault injected into it, if any. */
export interface RecordedCall extends FaultCall {
  fault?: FaultAction;
}

/**
 * What a rule does to a call it fires on:
 * - `fail`: the call throws a `KBackupError` of that code, saying it was injected (or the given Error);
 * - `delayInMs`: the call waits that long, then goes ahead (an abort ends the wait with `Aborted`);
 * - `cutAfterBytes`: a streamed body (of a `put`, or the body `getStream` returns) breaks with
 *   `Unavailable` after that many bytes, as a dropped connection would; other calls fail at once;
 * - `hang`: the call never settles until its `abortSignal` fires, then fails with `Aborted`.
 */
export type FaultAction =
  | { fail: KBackupErrorCode | Error; message?: string }
  | { delayInMs: number }
  | { cutAfterBytes: number }
  | { hang: true };

/**
 * One rule of a fault plan. It matches calls of `operation` (`"*"` for any) that pass `when`,
 * counts them, and fires on the `nth` matching call (default 1) and the ones after it, `times`
 * times in all (default 1; `Infinity` for ever).
 */
export interface FaultRule {
  /** The method name the rule matches, or `"*"` for any. */
  operation: string;
  /** Only calls for which it returns true match; every call of `operation` when absent. */
  when?: (call: FaultCall) => boolean;
  /** The first matching call the rule fires on, counting from 1; default 1. */
  nth?: number;
  /** How many times it fires in all; default 1, `Infinity` for ever. */
  times?: number;
  /** What happens to a call the rule fires on. */
  action: FaultAction;
}

/** The rules a faulty wrapper applies, in order: the first rule that fires on a call wins. */
export type FaultPlan = readonly FaultRule[];

/** Throws `InvalidArgument`, naming the rule and field, unless `plan` is a well-formed fault plan. */
export function assertValidFaultPlan(plan: unknown): asserts plan is FaultPlan {
  if (!Array.isArray(plan)) throw invalidArgument("plan", "a fault plan is an array of rules");
  plan.forEach((rule: Partial<FaultRule> | null, index) => {
    const field = `plan[${index}]`;
    if (typeof rule !== "object" || rule === null) throw invalidArgument(field, "a rule is an object");
    if (typeof rule.operation !== "string" || rule.operation === "") throw invalidArgument(`${field}.operation`, 'must be a method name or "*"');
    if (rule.when !== undefined && typeof rule.when !== "function") throw invalidArgument(`${field}.when`, "must be a function");
    if (rule.nth !== undefined && !(Number.isSafeInteger(rule.nth) && rule.nth >= 1)) throw invalidArgument(`${field}.nth`, "must be an integer from 1");
    if (rule.times !== undefined && !(rule.times === Number.POSITIVE_INFINITY || (Number.isSafeInteger(rule.times) && rule.times >= 1))) {
      throw invalidArgument(`${field}.times`, "must be an integer from 1, or Infinity");
    }
    assertValidAction(rule.action, `${field}.action`);
  });
}

function assertValidAction(action: unknown, field: string): asserts action is FaultAction {
  if (typeof action !== "object" || action === null) throw invalidArgument(field, "an action is an object");
  const kinds = ["fail", "delayInMs", "cutAfterBytes", "hang"].filter((kind) => kind in action);
  if (kinds.length !== 1) throw invalidArgument(field, "an action has exactly one of fail, delayInMs, cutAfterBytes, hang");
  const candidate = action as Record<string, unknown>;
  if ("fail" in candidate) {
    const fail = candidate.fail;
    if (!(fail instanceof Error) && !(KBACKUP_ERROR_CODES as readonly unknown[]).includes(fail)) {
      throw invalidArgument(`${field}.fail`, "must be a KBackupError code or an Error");
    }
    if (candidate.message !== undefined && typeof candidate.message !== "string") throw invalidArgument(`${field}.message`, "must be a string");
  } else if ("delayInMs" in candidate) {
    const delay = candidate.delayInMs;
    if (typeof delay !== "number" || !Number.isFinite(delay) || delay < 0) throw invalidArgument(`${field}.delayInMs`, "must be a non-negative number");
  } else if ("cutAfterBytes" in candidate) {
    const bytes = candidate.cutAfterBytes;
    if (!Number.isSafeInteger(bytes) || (bytes as number) < 0) throw invalidArgument(`${field}.cutAfterBytes`, "must be a non-negative integer");
  } else if (candidate.hang !== true) {
    throw invalidArgument(`${field}.hang`, "must be true");
  }
}
