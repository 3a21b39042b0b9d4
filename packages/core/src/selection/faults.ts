import { KBackupError } from "../errors.js";

/** One problem found while checking an argument: the path of the offending field, and what is wrong. */
export interface Fault {
  field: string;
  message: string;
}

/**
 * One InvalidArgument for every fault found, so a caller fixes them all at once: the message lists
 * each as `path: message`; `details.faults` holds them as data. With a single fault, the error's
 * field is that fault's path; with several, it is `field`.
 */
export function faultsError(field: string, faults: readonly Fault[]): KBackupError {
  const [first] = faults;
  if (faults.length === 1 && first !== undefined) {
    return new KBackupError("InvalidArgument", `${first.field}: ${first.message}`, { field: first.field, details: { faults: [...faults] } });
  }
  const list = faults.map((fault) => `${fault.field}: ${fault.message}`).join("; ");
  return new KBackupError("InvalidArgument", `${field} has ${faults.length} problems: ${list}`, { field, details: { faults: [...faults] } });
}
