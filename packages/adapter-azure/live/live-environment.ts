import { DefaultAzureCredential } from "@azure/identity";

/** The KBACKUP_LIVE_* variables `names`, or an error that lists the missing ones. */
export function liveEnvironment<Name extends string>(names: readonly Name[]): Record<Name, string> {
  const missing = names.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(`Live Azure tests need ${missing.join(", ")} (see docs/azure.md, "Live tests against a subscription").`);
  }
  return Object.fromEntries(names.map((name) => [name, process.env[name] as string])) as Record<Name, string>;
}

/** The credential of the live tests: az login locally, a managed or workload identity in Azure. */
export const liveCredential = new DefaultAzureCredential();
