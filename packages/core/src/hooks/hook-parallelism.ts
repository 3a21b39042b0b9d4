import { invalidArgument } from "../errors.js";
import { DEFAULT_HOOK_PARALLELISM } from "./hook-model.js";

/** `parallelism` as given, or {@link DEFAULT_HOOK_PARALLELISM}; InvalidArgument unless a whole number of at least 1. */
export function hookParallelism(parallelism: number | undefined): number {
  if (parallelism === undefined) return DEFAULT_HOOK_PARALLELISM;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw invalidArgument("parallelism", `must be a whole number of at least 1, got ${parallelism}`);
  return parallelism;
}
