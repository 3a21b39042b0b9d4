import { invalidArgument, type BackupInstance, type BackupVault } from "@kbackup/core";

/** A cluster's name as a backup instance name: lower-case letters, digits and `-`, at most 63. */
export function instanceNameFor(clusterName: string): string {
  const name = clusterName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return name === "" ? "cluster" : name;
}

/**
 * The instance `--instance` names, or the vault's only one when it names none.
 * @throws NotFound (via InvalidArgument's hint) when there is no such instance; InvalidArgument
 *   when none is named and the vault has several or none.
 */
export function chooseInstance(vault: BackupVault, name: string | undefined): BackupInstance {
  const instances = vault.listInstances();
  if (name !== undefined) {
    const found = vault.getInstance(name);
    if (!found) throw invalidArgument("--instance", `vault ${vault.name} has no backup instance named ${name}${instances.length > 0 ? `; it has ${instances.map((instance) => instance.name).join(", ")}` : ""}`);
    return found;
  }
  if (instances.length === 1) return instances[0] as BackupInstance;
  throw invalidArgument("--instance", instances.length === 0 ? `vault ${vault.name} has no backup instances yet: take a backup first` : `vault ${vault.name} has ${instances.length} instances; name one of ${instances.map((instance) => instance.name).join(", ")}`);
}
