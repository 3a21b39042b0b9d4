import { KBackupError, abortedError, systemClock } from "@kbackup/core";
import { assertValidFaultPlan, type FaultAction, type FaultPlan, type FaultRule, type RecordedCall } from "./fault-plan.js";

interface RuleState {
  rule: FaultRule;
  matched: number;
  fired: number;
}

/** Applies a fault plan: counts calls, decides which rule fires, and records every call. */
export class FaultInjector {
  /** Every call seen, in order, with the fault injected into it if any. */
  readonly calls: RecordedCall[] = [];
  readonly #rules: RuleState[];
  readonly #counts = new Map<string, number>();

  /** Throws `InvalidArgument` for a malformed plan. */
  constructor(plan: FaultPlan) {
    assertValidFaultPlan(plan);
    this.#rules = plan.map((rule) => ({ rule, matched: 0, fired: 0 }));
  }

  /** Records a call and returns it, with `fault` set when a rule fires on it. */
  enter(operation: string, args: readonly unknown[], page?: number): RecordedCall {
    const count = (this.#counts.get(operation) ?? 0) + 1;
    this.#counts.set(operation, count);
    const call: RecordedCall = { operation, args, count, ...(page === undefined ? {} : { page }) };
    let fault: FaultAction | undefined;
    for (const state of this.#rules) {
      const { rule } = state;
      if (rule.operation !== "*" && rule.operation !== operation) continue;
      if (rule.when !== undefined && !rule.when({ ...call })) continue;
      // Every rule counts the calls it matches, even when an earlier rule fires on them.
      state.matched++;
      if (fault === undefined && state.matched >= (rule.nth ?? 1) && state.fired < (rule.times ?? 1)) {
        state.fired++;
        fault = rule.action;
      }
    }
    if (fault !== undefined) call.fault = fault;
    this.calls.push(call);
    return call;
  }
}

/**
 * Carries out the fault of `call` before the real call is made: throws for `fail`, waits for
 * `delayInMs`, never settles for `hang` until `signal` fires. A `cutAfterBytes` fault is left to the
 * caller when the call carries a byte stream, and fails the call at once otherwise.
 */
export async function applyFault(call: RecordedCall, signal: AbortSignal | undefined, carriesStream = false): Promise<void> {
  const fault = call.fault;
  if (fault === undefined) return;
  if ("fail" in fault) throw injectedFailure(call, fault);
  if ("delayInMs" in fault) return systemClock.sleep(fault.delayInMs, { abortSignal: signal });
  if ("hang" in fault) return hang(signal);
  if (!carriesStream) throw cutError(call, 0);
}

/** The error a `fail` fault throws: its Error as given, or a `KBackupError` that says it was injected. */
export function injectedFailure(call: RecordedCall, fault: { fail: KBackupError["code"] | Error; message?: string }): Error {
  if (fault.fail instanceof Error) return fault.fail;
  const message = fault.message === undefined ? `${call.operation} (call ${call.count}) failed with ${fault.fail}.` : fault.message;
  return new KBackupError(fault.fail, `Injected fault: ${message}`, { details: { injected: true, operation: call.operation, count: call.count } });
}

/**
 * `source` passed through until `limit` bytes have gone by, then broken with an injected
 * `Unavailable` error, whether or not the source had more: the reader never sees a normal end.
 */
export async function* cutAfter(source: Uint8Array | AsyncIterable<Uint8Array>, limit: number, call: RecordedCall): AsyncGenerator<Uint8Array> {
  let passed = 0;
  if (limit > 0) {
    for await (const chunk of source instanceof Uint8Array ? [source] : source) {
      const room = limit - passed;
      if (chunk.length >= room) {
        yield chunk.subarray(0, room);
        passed = limit;
        break;
      }
      yield chunk;
      passed += chunk.length;
    }
  }
  throw cutError(call, passed);
}

function cutError(call: RecordedCall, passed: number): KBackupError {
  return new KBackupError("Unavailable", `Injected fault: the connection of ${call.operation} (call ${call.count}) was cut after ${passed} bytes.`, {
    details: { injected: true, operation: call.operation, count: call.count },
  });
}

function hang(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal === undefined) return;
    if (signal.aborted) return reject(abortedError(signal));
    signal.addEventListener("abort", () => reject(abortedError(signal)), { once: true });
  });
}
